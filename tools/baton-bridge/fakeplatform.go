package main

// baton-bridge fake-platform: a stand-in for ConductorOne's side of service mode, for tests. On one
// loopback TLS port (certificate from a CA it makes and writes to --ca-out) it serves
//   - POST /auth/v1/token: the OAuth 2.0 client-credentials grant with a JWT client assertion, as the
//     SDK's credential provider sends it (EdDSA, signed with the client secret's key; issuer, subject,
//     audience and times checked), answering a bearer token;
//   - c1.connectorapi.baton.v1.BatonService over gRPC (HTTP/2 on the same port), every call needing
//     that bearer token and every request checked with the proto's validation rules: Hello, GetTask
//     (the tasks of --tasks, one at a time, each after the previous one finished), Heartbeat,
//     UploadAsset (the c1z, written to --out-dir after its SHA-256 is checked) and FinishTask.
//
// It makes a client ID and secret of the SDK's format and prints them in its first line; every line
// on stdout is one JSON event (listening, token, hello, task, upload, finish, done, error) so a test can
// follow it. The --tasks file is a JSON array of c1.connectorapi.baton.v1.Task in protobuf JSON
// (e.g. {"syncFull": {}}, {"grant": {"entitlement": ..., "principal": ...}}); ids are assigned here.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/durationpb"

	v1 "github.com/conductorone/baton-sdk/pb/c1/connectorapi/baton/v1"
)

const maxUploadBytes = 512 << 20

type fakePlatform struct {
	v1.UnimplementedBatonServiceServer

	clientID  string
	publicKey ed25519.PublicKey
	audience  string
	outDir    string
	poll      time.Duration

	mu          sync.Mutex
	out         *json.Encoder
	tokens      map[string]bool
	pending     []*v1.Task
	outstanding string // id of the task handed out and not finished yet
	finished    int
	total       int
	doneSent    bool
}

func (f *fakePlatform) event(kind string, fields map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.eventLocked(kind, fields)
}

func (f *fakePlatform) eventLocked(kind string, fields map[string]any) {
	m := map[string]any{"event": kind}
	for k, v := range fields {
		m[k] = v
	}
	_ = f.out.Encode(m)
}

func runFakePlatform(args []string) int {
	fs := flag.NewFlagSet("fake-platform", flag.ContinueOnError)
	listen := fs.String("listen", "127.0.0.1:0", "loopback host:port to listen on")
	tasksFile := fs.String("tasks", "", "JSON array of c1.connectorapi.baton.v1.Task (protobuf JSON) to hand out in order")
	outDir := fs.String("out-dir", "", "folder for uploaded assets (<task id>.c1z)")
	caOut := fs.String("ca-out", "", "write the CA certificate (PEM) that signed the TLS certificate here")
	poll := fs.Duration("poll", 200*time.Millisecond, "next_poll answered when there is no task to hand out")
	if err := parse(fs, args); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if err := required("tasks", *tasksFile, "out-dir", *outDir, "ca-out", *caOut); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	host, _, err := net.SplitHostPort(*listen)
	if err != nil || net.ParseIP(host) == nil || !net.ParseIP(host).IsLoopback() {
		fmt.Fprintln(os.Stderr, "--listen must be a loopback IP address and port")
		return 2
	}
	if err := serveFakePlatform(*listen, *tasksFile, *outDir, *caOut, *poll); err != nil {
		fmt.Fprintf(os.Stderr, "fake-platform: %v\n", err)
		return 1
	}
	return 0
}

func serveFakePlatform(listen, tasksFile, outDir, caOut string, poll time.Duration) error {
	raw, err := os.ReadFile(tasksFile)
	if err != nil {
		return err
	}
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return fmt.Errorf("--tasks: %w", err)
	}
	tasks := make([]*v1.Task, 0, len(items))
	for i, it := range items {
		t := &v1.Task{}
		if err := protojson.Unmarshal(it, t); err != nil {
			return fmt.Errorf("--tasks item %d: %w", i, err)
		}
		t.SetId(taskID())
		t.SetStatus(v1.Task_STATUS_PENDING)
		if err := t.ValidateAll(); err != nil {
			return fmt.Errorf("--tasks item %d: %w", i, err)
		}
		tasks = append(tasks, t)
	}
	if err := os.MkdirAll(outDir, 0o700); err != nil {
		return err
	}

	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	addr := ln.Addr().(*net.TCPAddr)
	hostPort := net.JoinHostPort(addr.IP.String(), fmt.Sprint(addr.Port))
	cert, caPEM, err := loopbackCertificate(addr.IP)
	if err != nil {
		return err
	}
	if err := os.WriteFile(caOut, caPEM, 0o600); err != nil {
		return err
	}

	// client credentials of the SDK's shapes: "<name>@<token host>/<suffix>" and "<a>:<b>:v1:<base64url JWK>"
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return err
	}
	jwk, err := jose.JSONWebKey{Key: priv, Algorithm: string(jose.EdDSA)}.MarshalJSON()
	if err != nil {
		return err
	}
	clientID := fmt.Sprintf("jira-bridge-test@%s/%s", hostPort, "c1-fake")
	secret := "secret-token:conductorone.com:v1:" + base64.RawURLEncoding.EncodeToString(jwk)

	f := &fakePlatform{
		clientID:  clientID,
		publicKey: pub,
		audience:  addr.IP.String(),
		outDir:    outDir,
		poll:      poll,
		out:       json.NewEncoder(os.Stdout),
		tokens:    map[string]bool{},
		pending:   tasks,
		total:     len(tasks),
	}

	gs := grpc.NewServer(
		grpc.ChainUnaryInterceptor(f.authUnary),
		grpc.ChainStreamInterceptor(f.authStream),
		grpc.MaxRecvMsgSize(4<<20),
	)
	v1.RegisterBatonServiceServer(gs, f)
	mux := http.NewServeMux()
	mux.HandleFunc("/auth/v1/token", f.token)
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ProtoMajor == 2 && strings.HasPrefix(r.Header.Get("Content-Type"), "application/grpc") {
				gs.ServeHTTP(w, r)
				return
			}
			mux.ServeHTTP(w, r)
		}),
		TLSConfig:         &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2", "http/1.1"}, MinVersion: tls.VersionTLS12},
		ReadHeaderTimeout: 10 * time.Second,
	}

	f.event("listening", map[string]any{"host": hostPort, "clientId": clientID, "clientSecret": secret, "caFile": caOut, "tasks": len(tasks)})
	if len(tasks) == 0 {
		f.event("done", map[string]any{"finished": 0})
		f.doneSent = true
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- hs.ServeTLS(ln, "", "") }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(shutdown)
	f.event("stopped", nil)
	return nil
}

// token answers the client-credentials grant when the JWT assertion is signed by the client's key.
func (f *fakePlatform) token(w http.ResponseWriter, r *http.Request) {
	fail := func(code int, why string) {
		f.event("error", map[string]any{"where": "token", "error": why})
		http.Error(w, why, code)
	}
	if r.Method != http.MethodPost {
		fail(http.StatusMethodNotAllowed, "POST only")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	if err := r.ParseForm(); err != nil {
		fail(http.StatusBadRequest, "bad form")
		return
	}
	if r.PostForm.Get("grant_type") != "client_credentials" || r.PostForm.Get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" {
		fail(http.StatusBadRequest, "unsupported grant")
		return
	}
	if r.PostForm.Get("client_id") != f.clientID {
		fail(http.StatusUnauthorized, "unknown client")
		return
	}
	tok, err := jwt.ParseSigned(r.PostForm.Get("client_assertion"), []jose.SignatureAlgorithm{jose.EdDSA})
	if err != nil {
		fail(http.StatusUnauthorized, "bad assertion")
		return
	}
	var claims jwt.Claims
	if err := tok.Claims(f.publicKey, &claims); err != nil {
		fail(http.StatusUnauthorized, "assertion not signed by the client's key")
		return
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: f.clientID, Subject: f.clientID, AnyAudience: jwt.Audience{f.audience}, Time: time.Now()}, time.Minute); err != nil {
		fail(http.StatusUnauthorized, "assertion claims: "+err.Error())
		return
	}
	access := randomString(32)
	f.mu.Lock()
	f.tokens[access] = true
	f.eventLocked("token", map[string]any{"clientId": f.clientID})
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600})
}

func (f *fakePlatform) authorized(ctx context.Context) error {
	md, _ := metadata.FromIncomingContext(ctx)
	for _, v := range md.Get("authorization") {
		if t, ok := strings.CutPrefix(v, "Bearer "); ok {
			f.mu.Lock()
			known := f.tokens[t]
			f.mu.Unlock()
			if known {
				return nil
			}
		}
	}
	return status.Error(codes.Unauthenticated, "a bearer token from /auth/v1/token is required")
}

func (f *fakePlatform) authUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := f.authorized(ctx); err != nil {
		f.event("error", map[string]any{"where": info.FullMethod, "error": err.Error()})
		return nil, err
	}
	if v, ok := req.(interface{ ValidateAll() error }); ok {
		if err := v.ValidateAll(); err != nil {
			f.event("error", map[string]any{"where": info.FullMethod, "error": err.Error()})
			return nil, status.Error(codes.InvalidArgument, err.Error())
		}
	}
	return h(ctx, req)
}

func (f *fakePlatform) authStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := f.authorized(ss.Context()); err != nil {
		f.event("error", map[string]any{"where": info.FullMethod, "error": err.Error()})
		return err
	}
	return h(srv, ss)
}

func (f *fakePlatform) Hello(_ context.Context, r *v1.BatonServiceHelloRequest) (*v1.BatonServiceHelloResponse, error) {
	md := r.GetConnectorMetadata()
	f.event("hello", map[string]any{"hostId": r.GetHostId(), "taskId": r.GetTaskId(), "displayName": md.GetDisplayName(), "package": r.GetBuildInfo().GetPackage()})
	return &v1.BatonServiceHelloResponse{}, nil
}

func (f *fakePlatform) GetTask(_ context.Context, r *v1.BatonServiceGetTaskRequest) (*v1.BatonServiceGetTaskResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	resp := &v1.BatonServiceGetTaskResponse{}
	resp.SetNextPoll(durationpb.New(f.poll))
	resp.SetNextHeartbeat(durationpb.New(time.Second))
	if f.outstanding != "" || len(f.pending) == 0 {
		return resp, nil
	}
	t := f.pending[0]
	f.pending = f.pending[1:]
	f.outstanding = t.GetId()
	t.SetStatus(v1.Task_STATUS_RUNNING)
	f.eventLocked("task", map[string]any{"taskId": t.GetId(), "type": taskKind(t), "hostId": r.GetHostId()})
	resp.SetTask(t)
	return resp, nil
}

func (f *fakePlatform) Heartbeat(_ context.Context, r *v1.BatonServiceHeartbeatRequest) (*v1.BatonServiceHeartbeatResponse, error) {
	resp := &v1.BatonServiceHeartbeatResponse{}
	resp.SetNextHeartbeat(durationpb.New(time.Second))
	return resp, nil
}

func (f *fakePlatform) FinishTask(_ context.Context, r *v1.BatonServiceFinishTaskRequest) (*v1.BatonServiceFinishTaskResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.GetTaskId() != f.outstanding {
		return nil, status.Errorf(codes.NotFound, "task %s is not running", r.GetTaskId())
	}
	ev := map[string]any{"taskId": r.GetTaskId(), "ok": r.HasSuccess()}
	if r.HasSuccess() {
		if resp := r.GetSuccess().GetResponse(); resp != nil {
			if b, err := protojson.Marshal(resp); err == nil {
				ev["response"] = json.RawMessage(b)
			}
		}
	} else {
		ev["code"] = codes.Code(r.GetStatus().GetCode()).String()
		ev["message"] = r.GetStatus().GetMessage()
		ev["nonRetryable"] = r.GetError().GetNonRetryable()
	}
	f.outstanding = ""
	f.finished++
	f.eventLocked("finish", ev)
	if f.finished == f.total && !f.doneSent {
		f.doneSent = true
		f.eventLocked("done", map[string]any{"finished": f.finished})
	}
	return &v1.BatonServiceFinishTaskResponse{}, nil
}

func (f *fakePlatform) UploadAsset(s grpc.ClientStreamingServer[v1.BatonServiceUploadAssetRequest, v1.BatonServiceUploadAssetResponse]) error {
	var taskID string
	var buf bytes.Buffer
	for {
		m, err := s.Recv()
		if err != nil {
			return status.Errorf(codes.InvalidArgument, "upload ended before its EOF message: %v", err)
		}
		if err := m.ValidateAll(); err != nil {
			return status.Error(codes.InvalidArgument, err.Error())
		}
		switch {
		case m.HasMetadata():
			if taskID != "" {
				return status.Error(codes.InvalidArgument, "metadata sent twice")
			}
			taskID = m.GetMetadata().GetTaskId()
			f.mu.Lock()
			running := taskID == f.outstanding
			f.mu.Unlock()
			if !running {
				return status.Errorf(codes.NotFound, "task %s is not running", taskID)
			}
		case m.HasData():
			if taskID == "" {
				return status.Error(codes.InvalidArgument, "data before metadata")
			}
			if buf.Len()+len(m.GetData().GetData()) > maxUploadBytes {
				return status.Error(codes.ResourceExhausted, "upload too large")
			}
			buf.Write(m.GetData().GetData())
		case m.HasEof():
			sum := sha256.Sum256(buf.Bytes())
			if !bytes.Equal(sum[:], m.GetEof().GetSha256Checksum()) {
				f.event("error", map[string]any{"where": "upload", "error": "sha256 mismatch", "taskId": taskID})
				return status.Error(codes.DataLoss, "sha256 of the upload does not match")
			}
			file := filepath.Join(f.outDir, taskID+".c1z")
			if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
				return status.Error(codes.Internal, "could not store the upload")
			}
			f.event("upload", map[string]any{"taskId": taskID, "file": file, "bytes": buf.Len()})
			return s.SendAndClose(&v1.BatonServiceUploadAssetResponse{})
		}
	}
}

func taskKind(t *v1.Task) string {
	b, err := protojson.Marshal(t)
	if err != nil {
		return "unknown"
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(b, &m)
	for k := range m {
		if k != "id" && k != "status" {
			return k
		}
	}
	return "none"
}

const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

func randomString(n int) string {
	b := make([]byte, n)
	for i := range b {
		v, _ := rand.Int(rand.Reader, big.NewInt(int64(len(alnum))))
		b[i] = alnum[v.Int64()]
	}
	return string(b)
}

// taskID is 27 alphanumeric characters, the shape the proto requires (a KSUID's).
func taskID() string { return randomString(27) }

// loopbackCertificate makes a throwaway CA and a server certificate for ip signed by it.
func loopbackCertificate(ip net.IP) (tls.Certificate, []byte, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "baton-bridge fake platform CA"},
		NotBefore:             now.Add(-time.Minute),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: ip.String()},
		NotBefore:    now.Add(-time.Minute),
		NotAfter:     now.Add(24 * time.Hour),
		IPAddresses:  []net.IP{ip},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, &key.PublicKey, caKey)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	if len(der) == 0 {
		return tls.Certificate{}, nil, errors.New("empty certificate")
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), nil
}
