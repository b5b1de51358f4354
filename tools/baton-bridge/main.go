// Command baton-bridge drives our TypeScript c1.connector.v2 gRPC server with the official Baton
// SDK (github.com/conductorone/baton-sdk): the SDK's syncer writes a .c1z that the `baton` CLI
// reads, and the SDK's provisioner sends Grant / Revoke exactly as `baton-<connector> --grant-*`
// would. It is both a conformance harness (test/conformance/) and the way users get a c1z.
//
//	baton-bridge sync   --addr 127.0.0.1:50051 --out sync.c1z [--workers 4] [--engine pebble|sqlite] [--dump ids.json]
//	baton-bridge read   --c1z sync.c1z [--dump ids.json]
//	baton-bridge grant  --addr ... --c1z sync.c1z --entitlement group:<id>:member --principal-type user --principal-id <accountId>
//	baton-bridge revoke --addr ... --c1z sync.c1z --grant <grantId>
//	baton-bridge create-account --addr ... --email a@b.c [--login a] [--profile '{"products":["jira-software"]}']
//	baton-bridge service --client-id ... --client-secret ... [--connector-addr 127.0.0.1:50051] [--provisioning]
//	baton-bridge fake-platform --tasks tasks.json --out-dir DIR --ca-out ca.pem
//	baton-bridge tickets --addr ... [--template ticket.json] [--bulk]   (tickets.go)
//
// Connection flags (every command that talks to the server): --tls (verify against the system
// roots), --tls-ca FILE (verify against this CA; implies --tls), --tls-cert/--tls-key (client
// certificate for mutual TLS), --tls-server-name. Every command prints one JSON document on stdout;
// logs go to stderr (--log-level). Exit status 1 on any error, with the error in the JSON.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/grpc-ecosystem/go-grpc-middleware/logging/zap/ctxzap"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/conductorone/baton-sdk/pkg/connectorclient"
	"github.com/conductorone/baton-sdk/pkg/types"
)

const sdkModule = "github.com/conductorone/baton-sdk"

// sdkVersion is the baton-sdk module version this binary was built with (from the build info, so
// it always matches go.mod; pkg/sdk.Version is not bumped on every tag).
func sdkVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == sdkModule {
				if d.Replace != nil {
					return d.Replace.Version
				}
				return d.Version
			}
		}
	}
	return "unknown"
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: baton-bridge <sync|read|grant|revoke|create-account|delete|invoke-action|tickets|service|fake-platform|version> [flags]
run "baton-bridge <command> -h" for the flags of a command`)
	os.Exit(2)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	cmd, args := os.Args[1], os.Args[2:]
	var out any
	var err error
	switch cmd {
	case "sync":
		out, err = cmdSync(args)
	case "read":
		out, err = cmdRead(args)
	case "grant":
		out, err = cmdGrant(args)
	case "revoke":
		out, err = cmdRevoke(args)
	case "create-account":
		out, err = cmdCreateAccount(args)
	case "delete":
		out, err = cmdDelete(args)
	case "invoke-action":
		out, err = cmdInvokeAction(args)
	case "tickets":
		out, err = cmdTickets(args)
	case "version":
		out = map[string]string{"sdkVersion": sdkVersion()}
	case "service":
		os.Exit(runService(args)) // service.go: the SDK's own command line, flags and exit status
	case "fake-platform":
		os.Exit(runFakePlatform(args)) // fakeplatform.go: a stand-in for the platform, for tests
	default:
		usage()
	}
	if err != nil {
		// Keep whatever partial result we have (e.g. the RPC that failed) next to the error.
		res := map[string]any{"ok": false, "error": err.Error(), "sdkVersion": sdkVersion()}
		if out != nil {
			res["result"] = out
		}
		printJSON(res)
		os.Exit(1)
	}
	printJSON(out)
}

func printJSON(v any) {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// common holds the flags shared by the commands that talk to the server.
type common struct {
	addr, tlsCA, tlsCert, tlsKey, serverName, logLevel string
	useTLS                                             bool
}

func (c *common) register(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "addr", "127.0.0.1:50051", "host:port of the connector's gRPC server")
	fs.BoolVar(&c.useTLS, "tls", false, "use TLS (server verified against the system roots unless --tls-ca)")
	fs.StringVar(&c.tlsCA, "tls-ca", "", "PEM CA bundle to verify the server (implies --tls)")
	fs.StringVar(&c.tlsCert, "tls-cert", "", "PEM client certificate for mutual TLS (implies --tls)")
	fs.StringVar(&c.tlsKey, "tls-key", "", "PEM key of --tls-cert")
	fs.StringVar(&c.serverName, "tls-server-name", "", "server name to verify (default: the host of --addr)")
	registerLog(fs, &c.logLevel)
}

func registerLog(fs *flag.FlagSet, level *string) {
	fs.StringVar(level, "log-level", "warn", "stderr log level: debug, info, warn, error")
}

// dial opens the gRPC connection the way the SDK does for its own connector subprocess (plain
// grpc-go client, default 4 MiB receive limit, no retries of our own: the syncer retries), and
// wraps it as the SDK's types.ConnectorClient.
// connect is what every one-shot command does first: the SDK logger at --log-level, a wire checker,
// and a client of our server.
func (c *common) connect() (context.Context, types.ConnectorClient, *wireChecker, func(), error) {
	ctx, _, err := newLogger(c.logLevel)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	checker := newWireChecker()
	client, closeConn, err := c.dial(ctx, checker)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	return ctx, client, checker, closeConn, nil
}

func (c *common) dial(ctx context.Context, checker *wireChecker) (types.ConnectorClient, func(), error) {
	creds := insecure.NewCredentials()
	if c.useTLS || c.tlsCA != "" || c.tlsCert != "" {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: c.serverName}
		if c.tlsCA != "" {
			pem, err := os.ReadFile(c.tlsCA)
			if err != nil {
				return nil, nil, fmt.Errorf("--tls-ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, nil, fmt.Errorf("--tls-ca: no PEM certificate in %s", c.tlsCA)
			}
			cfg.RootCAs = pool
		}
		if c.tlsCert != "" || c.tlsKey != "" {
			pair, err := tls.LoadX509KeyPair(c.tlsCert, c.tlsKey)
			if err != nil {
				return nil, nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
			}
			cfg.Certificates = []tls.Certificate{pair}
		}
		creds = credentials.NewTLS(cfg)
	}
	opts := []grpc.DialOption{grpc.WithTransportCredentials(creds)}
	if checker != nil {
		opts = append(opts, grpc.WithChainUnaryInterceptor(checker.intercept))
	}
	conn, err := grpc.NewClient(c.addr, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("dial %s: %w", c.addr, err)
	}
	return connectorclient.NewConnectorClient(ctx, conn), func() { _ = conn.Close() }, nil
}

// logCapture is a zap core that keeps every entry at Warn or above, so the JSON report can list
// what the SDK only logs (e.g. "sync completed with warnings", dropped invalid connector data).
type logCapture struct {
	zapcore.LevelEnabler
	mu      *sync.Mutex
	entries *[]capturedLog
	fields  []zapcore.Field
}

type capturedLog struct {
	Level   string         `json:"level"`
	Message string         `json:"message"`
	Fields  map[string]any `json:"fields,omitempty"`
	// Time is when the SDK logged it (for the milestones' timings; not in the JSON)
	Time time.Time `json:"-"`
}

// milestones are Info entries of the SDK's syncer that are kept too: when the connector's part of
// a sync ended and the syncer's own grant expansion and indexing began.
var milestones = map[string]bool{"sync data collection complete": true, "Expanding grants...": true, "Sync complete.": true}

func (l logCapture) With(f []zapcore.Field) zapcore.Core {
	l.fields = append(append([]zapcore.Field{}, l.fields...), f...)
	return l
}

func (l logCapture) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if e.Level >= zapcore.WarnLevel || milestones[e.Message] {
		return ce.AddCore(e, l)
	}
	return ce
}

func (l logCapture) Write(e zapcore.Entry, f []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, x := range append(append([]zapcore.Field{}, l.fields...), f...) {
		x.AddTo(enc)
	}
	l.mu.Lock()
	*l.entries = append(*l.entries, capturedLog{Level: e.Level.String(), Message: e.Message, Fields: enc.Fields, Time: e.Time})
	l.mu.Unlock()
	return nil
}

func (l logCapture) Sync() error { return nil }

// newLogger returns a context carrying a zap logger (where the SDK looks for it: ctxzap) that
// writes to stderr at the given level and captures Warn+ entries.
func newLogger(level string) (context.Context, func() []capturedLog, error) {
	lvl, err := zapcore.ParseLevel(level)
	if err != nil {
		return nil, nil, fmt.Errorf("--log-level: %w", err)
	}
	encCfg := zap.NewDevelopmentEncoderConfig()
	stderr := zapcore.NewCore(zapcore.NewConsoleEncoder(encCfg), zapcore.Lock(os.Stderr), lvl)
	var mu sync.Mutex
	var entries []capturedLog
	// enabled at Info so the milestones reach Check, which keeps only them and Warn+
	capture := logCapture{LevelEnabler: zapcore.InfoLevel, mu: &mu, entries: &entries}
	logger := zap.New(zapcore.NewTee(stderr, capture))
	if lvl > zapcore.DebugLevel {
		// Pebble logs its recovery chatter ("Found 0 WALs") through the standard library logger.
		log.SetOutput(io.Discard)
	}
	ctx := ctxzap.ToContext(context.Background(), logger)
	return ctx, func() []capturedLog {
		mu.Lock()
		defer mu.Unlock()
		return append([]capturedLog{}, entries...)
	}, nil
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	return nil
}

func required(pairs ...string) error {
	var missing []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			missing = append(missing, "--"+pairs[i])
		}
	}
	if len(missing) > 0 {
		return errors.New("missing " + strings.Join(missing, ", "))
	}
	return nil
}
