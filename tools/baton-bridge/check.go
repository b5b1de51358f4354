package main

import (
	"context"
	"maps"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// wireChecker is a client interceptor that runs the SDK's generated protoc-gen-validate rules
// (ValidateAll) on every request we send and every response the server returns. The SDK's own
// connector server enforces them on requests only; checking responses too catches a field our
// TypeScript server fills outside the published limits (lengths, required messages, enums) that
// the platform's side may enforce. Violations are recorded, not raised, so one run lists them all.
type wireChecker struct {
	mu         sync.Mutex
	calls      map[string]int
	errors     map[string]int // "<method> <code>" -> count (e.g. UNAVAILABLE answers the syncer retried)
	violations []violation
}

type violation struct {
	Method string `json:"method"`
	Side   string `json:"side"`
	Error  string `json:"error"`
}

type validatable interface{ ValidateAll() error }

const maxViolations = 50

func newWireChecker() *wireChecker {
	return &wireChecker{calls: map[string]int{}, errors: map[string]int{}}
}

func (w *wireChecker) intercept(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	w.check(method, "request", req)
	err := invoker(ctx, method, req, reply, cc, opts...)
	w.mu.Lock()
	w.calls[method]++
	if err != nil {
		w.errors[method+" "+status.Code(err).String()]++
	}
	w.mu.Unlock()
	if err == nil {
		w.check(method, "response", reply)
	}
	return err
}

func (w *wireChecker) check(method, side string, m any) {
	v, ok := m.(validatable)
	if !ok {
		return
	}
	if err := v.ValidateAll(); err != nil {
		w.mu.Lock()
		if len(w.violations) < maxViolations {
			w.violations = append(w.violations, violation{Method: method, Side: side, Error: err.Error()})
		}
		w.mu.Unlock()
	}
}

type wireReport struct {
	Calls      map[string]int `json:"calls"`
	Errors     map[string]int `json:"errors"`
	Violations []violation    `json:"violations"`
}

func (w *wireChecker) report() wireReport {
	w.mu.Lock()
	defer w.mu.Unlock()
	return wireReport{Calls: maps.Clone(w.calls), Errors: maps.Clone(w.errors), Violations: append([]violation{}, w.violations...)}
}
