package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/provisioner"
	"github.com/conductorone/baton-sdk/pkg/types"
)

// recorder wraps the SDK's connector client to keep the request and response of the one
// provisioning call the SDK's provisioner makes (the provisioner itself discards the response).
type recorder struct {
	types.ConnectorClient
	mu        sync.Mutex
	req, resp proto.Message
}

func (r *recorder) keep(req, resp proto.Message) {
	r.mu.Lock()
	r.req, r.resp = req, resp
	r.mu.Unlock()
}

func (r *recorder) Grant(ctx context.Context, in *v2.GrantManagerServiceGrantRequest, opts ...grpc.CallOption) (*v2.GrantManagerServiceGrantResponse, error) {
	resp, err := r.ConnectorClient.Grant(ctx, in, opts...)
	r.keep(in, resp)
	return resp, err
}

func (r *recorder) Revoke(ctx context.Context, in *v2.GrantManagerServiceRevokeRequest, opts ...grpc.CallOption) (*v2.GrantManagerServiceRevokeResponse, error) {
	resp, err := r.ConnectorClient.Revoke(ctx, in, opts...)
	r.keep(in, resp)
	return resp, err
}

// provisionResult is what grant, revoke and create-account print.
type provisionResult struct {
	OK       bool            `json:"ok"`
	Request  json.RawMessage `json:"request,omitempty"`
	Response json.RawMessage `json:"response,omitempty"`
	// Annotations of the response, short names (e.g. "GrantAlreadyExists").
	Annotations []string `json:"annotations"`
	// Code and Message of a failed call (gRPC status).
	Code    string      `json:"code,omitempty"`
	Message string      `json:"message,omitempty"`
	Wire    *wireReport `json:"wire,omitempty"`
}

func shortNames(as []*anypb.Any) []string {
	out := []string{}
	for _, a := range as {
		out = append(out, shortName(a.GetTypeUrl()))
	}
	return out
}

func toJSON(m proto.Message) json.RawMessage {
	if m == nil || !m.ProtoReflect().IsValid() {
		return nil
	}
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return nil
	}
	return b
}

func finish(res *provisionResult, req, resp proto.Message, annos []string, checker *wireChecker, err error) (any, error) {
	res.Request, res.Response = toJSON(req), toJSON(resp)
	res.Annotations = annos
	if res.Annotations == nil {
		res.Annotations = []string{}
	}
	w := checker.report()
	res.Wire = &w
	if err != nil {
		if st, ok := status.FromError(err); ok {
			res.Code, res.Message = st.Code().String(), st.Message()
		}
		return res, err
	}
	res.OK = true
	return res, nil
}

// provisionerRun runs one of the SDK's provisioners (the same code `baton-<connector>
// --grant-entitlement ... -f sync.c1z` runs) with the recorder in front of the client.
func provisionerRun(args []string, name string, setup func(fs *flag.FlagSet) func(types.ConnectorClient, string) (*provisioner.Provisioner, error)) (any, error) {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	var c common
	c.register(fs)
	c1z := fs.String("c1z", "sync.c1z", "c1z of a previous sync: the entitlement, principal and grant are read from it, as the baton CLI does")
	build := setup(fs)
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	ctx, client, checker, closeConn, err := c.connect()
	if err != nil {
		return nil, err
	}
	defer closeConn()
	rec := &recorder{ConnectorClient: client}
	p, err := build(rec, *c1z)
	if err != nil {
		return nil, err
	}
	runErr := p.Run(ctx)
	if cerr := p.Close(ctx); cerr != nil && runErr == nil {
		runErr = fmt.Errorf("closing the c1z: %w", cerr)
	}
	var annos []string
	switch r := rec.resp.(type) {
	case *v2.GrantManagerServiceGrantResponse:
		annos = shortNames(r.GetAnnotations())
	case *v2.GrantManagerServiceRevokeResponse:
		annos = shortNames(r.GetAnnotations())
	}
	return finish(&provisionResult{}, rec.req, rec.resp, annos, checker, runErr)
}

func cmdGrant(args []string) (any, error) {
	return provisionerRun(args, "grant", func(fs *flag.FlagSet) func(types.ConnectorClient, string) (*provisioner.Provisioner, error) {
		ent := fs.String("entitlement", "", "entitlement id, e.g. group:<groupId>:member")
		ptype := fs.String("principal-type", "user", "principal resource type")
		pid := fs.String("principal-id", "", "principal resource id")
		return func(cl types.ConnectorClient, c1z string) (*provisioner.Provisioner, error) {
			if err := required("entitlement", *ent, "principal-id", *pid, "principal-type", *ptype); err != nil {
				return nil, err
			}
			return provisioner.NewGranter(cl, c1z, *ent, *pid, *ptype), nil
		}
	})
}

func cmdRevoke(args []string) (any, error) {
	return provisionerRun(args, "revoke", func(fs *flag.FlagSet) func(types.ConnectorClient, string) (*provisioner.Provisioner, error) {
		grant := fs.String("grant", "", "grant id as stored in the c1z, e.g. group:<groupId>:member:user:<accountId>")
		return func(cl types.ConnectorClient, c1z string) (*provisioner.Provisioner, error) {
			if err := required("grant", *grant); err != nil {
				return nil, err
			}
			return provisioner.NewRevoker(cl, c1z, *grant), nil
		}
	})
}

// cmdCreateAccount calls CreateAccount directly with the no-password credential option (the
// SDK's own provisioner path always sends a random password plus a JWK key, which a connector
// that only offers invitations refuses).
func cmdCreateAccount(args []string) (any, error) {
	fs := flag.NewFlagSet("create-account", flag.ExitOnError)
	var c common
	c.register(fs)
	email := fs.String("email", "", "primary email of the new account")
	login := fs.String("login", "", "login (defaults to --email)")
	profileJSON := fs.String("profile", "", `profile as a JSON object, e.g. '{"products":["jira-software"]}'`)
	rtype := fs.String("resource-type", "", "resource_type_id (empty: the connector's only account type)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := required("email", *email); err != nil {
		return nil, err
	}
	if *login == "" {
		*login = *email
	}
	var profile *structpb.Struct
	if *profileJSON != "" {
		profile = &structpb.Struct{}
		if err := protojson.Unmarshal([]byte(*profileJSON), profile); err != nil {
			return nil, fmt.Errorf("--profile: %w", err)
		}
	}
	ctx, client, checker, closeConn, err := c.connect()
	if err != nil {
		return nil, err
	}
	defer closeConn()
	req := v2.CreateAccountRequest_builder{
		ResourceTypeId: *rtype,
		AccountInfo: v2.AccountInfo_builder{
			Emails:  []*v2.AccountInfo_Email{v2.AccountInfo_Email_builder{Address: *email, IsPrimary: true}.Build()},
			Login:   *login,
			Profile: profile,
		}.Build(),
		CredentialOptions: v2.CredentialOptions_builder{NoPassword: &v2.CredentialOptions_NoPassword{}}.Build(),
	}.Build()
	resp, err := client.CreateAccount(ctx, req)
	return finish(&provisionResult{}, req, resp, shortNames(resp.GetAnnotations()), checker, err)
}
