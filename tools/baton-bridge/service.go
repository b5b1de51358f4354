package main

// baton-bridge service: the SDK's own connector command line (pkg/config), in service mode with
// client credentials, for a connector that is our TypeScript gRPC server. The SDK parses the flags
// and BATON_* env exactly as for any Baton connector (--client-id, --client-secret, --provisioning,
// --log-level, ...), dials the platform (BATON_C1_API_HOST, else the host named in the client ID),
// says Hello, polls for tasks (full sync, grant, revoke, create account, ...), runs them through its
// connector runner and uploads the c1z. The connector it runs is a pass-through: every
// c1.connector.v2 call goes unchanged to our server at --connector-addr (plain, TLS or mTLS, like
// `baton-bridge sync`), and every answer and error comes back unchanged.
//
// The SDK runs the connector side in a child process of this binary (it re-executes itself with
// `_connector-service`, as every Baton connector does); SIGTERM or SIGINT end both: the task in
// flight is cancelled and not reported as finished.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/viper"
	"google.golang.org/grpc"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/cli"
	"github.com/conductorone/baton-sdk/pkg/config"
	"github.com/conductorone/baton-sdk/pkg/field"
	"github.com/conductorone/baton-sdk/pkg/types"
)

const serviceName = "baton-jira-connector-bridge"

var (
	fieldConnectorAddr = field.StringField("connector-addr",
		field.WithDescription("host:port of the connector's gRPC server (our TypeScript server)"),
		field.WithDefaultValue("127.0.0.1:50051"))
	fieldConnectorTLS = field.BoolField("connector-tls",
		field.WithDescription("dial the connector with TLS, verified against the system roots unless --connector-tls-ca"))
	fieldConnectorCA = field.StringField("connector-tls-ca",
		field.WithDescription("PEM CA bundle that signed the connector's certificate (implies TLS)"))
	fieldConnectorCert = field.StringField("connector-tls-cert",
		field.WithDescription("PEM client certificate for mutual TLS with the connector (implies TLS)"))
	fieldConnectorKey = field.StringField("connector-tls-key",
		field.WithDescription("PEM key of --connector-tls-cert"), field.WithIsSecret(true))
	fieldConnectorServerName = field.StringField("connector-tls-server-name",
		field.WithDescription("name in the connector's certificate (default: the host of --connector-addr)"))
)

// runService runs the SDK command line and returns the process exit status.
func runService(args []string) int {
	// SIGTERM (a pod or container stop) as well as SIGINT: the SDK's runner listens for SIGINT only.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	schema := field.NewConfiguration([]field.SchemaField{
		fieldConnectorAddr, fieldConnectorTLS, fieldConnectorCA, fieldConnectorCert, fieldConnectorKey, fieldConnectorServerName,
	})
	_, cmd, err := config.DefineConfigurationV2(ctx, serviceName, passThroughConnector, schema)
	if err != nil {
		fmt.Fprintf(os.Stderr, "baton-bridge service: %v\n", err)
		return 1
	}
	cmd.Use = "baton-bridge service"
	cmd.Version = sdkVersion()
	cmd.SetArgs(args)
	cmd.SetContext(ctx)
	ran, err := cmd.ExecuteC()
	if ctx.Err() != nil {
		// stopped by a signal: whatever the runner reports about its cancelled context, this is a clean stop
		return 0
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "baton-bridge service: %v\n", err)
		return 1
	}
	if ran == cmd {
		// the service itself runs until it is stopped: ending on its own (e.g. the platform refused the
		// credentials and the runner gave up without an error) is a failure for whoever supervises it
		fmt.Fprintln(os.Stderr, "baton-bridge service: the connector runner stopped without being asked to (see the log above)")
		return 1
	}
	return 0
}

// passThroughConnector dials our server; the SDK calls it in the runner process and in its
// connector child process.
func passThroughConnector(ctx context.Context, v *viper.Viper, _ cli.RunTimeOpts) (types.ConnectorServer, error) {
	c := common{
		addr:       v.GetString(fieldConnectorAddr.FieldName),
		useTLS:     v.GetBool(fieldConnectorTLS.FieldName),
		tlsCA:      v.GetString(fieldConnectorCA.FieldName),
		tlsCert:    v.GetString(fieldConnectorCert.FieldName),
		tlsKey:     v.GetString(fieldConnectorKey.FieldName),
		serverName: v.GetString(fieldConnectorServerName.FieldName),
	}
	if c.addr == "" {
		return nil, errors.New("--connector-addr (BATON_CONNECTOR_ADDR) is empty")
	}
	client, _, err := c.dial(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &passThrough{c: client}, nil
}

// passThrough serves every c1.connector.v2 method by calling the same method of our server.
type passThrough struct {
	v2.UnimplementedResourceTypesServiceServer
	v2.UnimplementedResourcesServiceServer
	v2.UnimplementedEntitlementsServiceServer
	v2.UnimplementedGrantsServiceServer
	v2.UnimplementedConnectorServiceServer
	v2.UnimplementedAssetServiceServer
	v2.UnimplementedGrantManagerServiceServer
	v2.UnimplementedResourceManagerServiceServer
	v2.UnimplementedResourceDeleterServiceServer
	v2.UnimplementedAccountManagerServiceServer
	v2.UnimplementedCredentialManagerServiceServer
	v2.UnimplementedEventServiceServer
	v2.UnimplementedTicketsServiceServer
	v2.UnimplementedActionServiceServer
	v2.UnimplementedResourceGetterServiceServer
	c types.ConnectorClient
}

var _ types.ConnectorServer = (*passThrough)(nil)

func (p *passThrough) ListResourceTypes(ctx context.Context, r *v2.ResourceTypesServiceListResourceTypesRequest) (*v2.ResourceTypesServiceListResourceTypesResponse, error) {
	return p.c.ListResourceTypes(ctx, r)
}
func (p *passThrough) ListResources(ctx context.Context, r *v2.ResourcesServiceListResourcesRequest) (*v2.ResourcesServiceListResourcesResponse, error) {
	return p.c.ListResources(ctx, r)
}
func (p *passThrough) ListEntitlements(ctx context.Context, r *v2.EntitlementsServiceListEntitlementsRequest) (*v2.EntitlementsServiceListEntitlementsResponse, error) {
	return p.c.ListEntitlements(ctx, r)
}
func (p *passThrough) ListStaticEntitlements(ctx context.Context, r *v2.EntitlementsServiceListStaticEntitlementsRequest) (*v2.EntitlementsServiceListStaticEntitlementsResponse, error) {
	return p.c.ListStaticEntitlements(ctx, r)
}
func (p *passThrough) ListGrants(ctx context.Context, r *v2.GrantsServiceListGrantsRequest) (*v2.GrantsServiceListGrantsResponse, error) {
	return p.c.ListGrants(ctx, r)
}
func (p *passThrough) GetMetadata(ctx context.Context, r *v2.ConnectorServiceGetMetadataRequest) (*v2.ConnectorServiceGetMetadataResponse, error) {
	return p.c.GetMetadata(ctx, r)
}
func (p *passThrough) Validate(ctx context.Context, r *v2.ConnectorServiceValidateRequest) (*v2.ConnectorServiceValidateResponse, error) {
	return p.c.Validate(ctx, r)
}
func (p *passThrough) Cleanup(ctx context.Context, r *v2.ConnectorServiceCleanupRequest) (*v2.ConnectorServiceCleanupResponse, error) {
	return p.c.Cleanup(ctx, r)
}
func (p *passThrough) GetAsset(r *v2.AssetServiceGetAssetRequest, out grpc.ServerStreamingServer[v2.AssetServiceGetAssetResponse]) error {
	in, err := p.c.GetAsset(out.Context(), r)
	if err != nil {
		return err
	}
	for {
		m, err := in.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := out.Send(m); err != nil {
			return err
		}
	}
}
func (p *passThrough) Grant(ctx context.Context, r *v2.GrantManagerServiceGrantRequest) (*v2.GrantManagerServiceGrantResponse, error) {
	return p.c.Grant(ctx, r)
}
func (p *passThrough) Revoke(ctx context.Context, r *v2.GrantManagerServiceRevokeRequest) (*v2.GrantManagerServiceRevokeResponse, error) {
	return p.c.Revoke(ctx, r)
}
func (p *passThrough) CreateResource(ctx context.Context, r *v2.CreateResourceRequest) (*v2.CreateResourceResponse, error) {
	return p.c.CreateResource(ctx, r)
}
func (p *passThrough) DeleteResource(ctx context.Context, r *v2.DeleteResourceRequest) (*v2.DeleteResourceResponse, error) {
	return p.c.DeleteResource(ctx, r)
}
func (p *passThrough) DeleteResourceV2(ctx context.Context, r *v2.DeleteResourceV2Request) (*v2.DeleteResourceV2Response, error) {
	return p.c.DeleteResourceV2(ctx, r)
}
func (p *passThrough) CreateAccount(ctx context.Context, r *v2.CreateAccountRequest) (*v2.CreateAccountResponse, error) {
	return p.c.CreateAccount(ctx, r)
}
func (p *passThrough) RotateCredential(ctx context.Context, r *v2.RotateCredentialRequest) (*v2.RotateCredentialResponse, error) {
	return p.c.RotateCredential(ctx, r)
}
func (p *passThrough) IssueCredential(ctx context.Context, r *v2.IssueCredentialRequest) (*v2.IssueCredentialResponse, error) {
	return p.c.IssueCredential(ctx, r)
}
func (p *passThrough) ListEvents(ctx context.Context, r *v2.ListEventsRequest) (*v2.ListEventsResponse, error) {
	return p.c.ListEvents(ctx, r)
}
func (p *passThrough) ListEventFeeds(ctx context.Context, r *v2.ListEventFeedsRequest) (*v2.ListEventFeedsResponse, error) {
	return p.c.ListEventFeeds(ctx, r)
}
func (p *passThrough) CreateTicket(ctx context.Context, r *v2.TicketsServiceCreateTicketRequest) (*v2.TicketsServiceCreateTicketResponse, error) {
	return p.c.CreateTicket(ctx, r)
}
func (p *passThrough) GetTicket(ctx context.Context, r *v2.TicketsServiceGetTicketRequest) (*v2.TicketsServiceGetTicketResponse, error) {
	return p.c.GetTicket(ctx, r)
}
func (p *passThrough) ListTicketSchemas(ctx context.Context, r *v2.TicketsServiceListTicketSchemasRequest) (*v2.TicketsServiceListTicketSchemasResponse, error) {
	return p.c.ListTicketSchemas(ctx, r)
}
func (p *passThrough) GetTicketSchema(ctx context.Context, r *v2.TicketsServiceGetTicketSchemaRequest) (*v2.TicketsServiceGetTicketSchemaResponse, error) {
	return p.c.GetTicketSchema(ctx, r)
}
func (p *passThrough) BulkCreateTickets(ctx context.Context, r *v2.TicketsServiceBulkCreateTicketsRequest) (*v2.TicketsServiceBulkCreateTicketsResponse, error) {
	return p.c.BulkCreateTickets(ctx, r)
}
func (p *passThrough) BulkGetTickets(ctx context.Context, r *v2.TicketsServiceBulkGetTicketsRequest) (*v2.TicketsServiceBulkGetTicketsResponse, error) {
	return p.c.BulkGetTickets(ctx, r)
}
func (p *passThrough) InvokeAction(ctx context.Context, r *v2.InvokeActionRequest) (*v2.InvokeActionResponse, error) {
	return p.c.InvokeAction(ctx, r)
}
func (p *passThrough) GetActionStatus(ctx context.Context, r *v2.GetActionStatusRequest) (*v2.GetActionStatusResponse, error) {
	return p.c.GetActionStatus(ctx, r)
}
func (p *passThrough) GetActionSchema(ctx context.Context, r *v2.GetActionSchemaRequest) (*v2.GetActionSchemaResponse, error) {
	return p.c.GetActionSchema(ctx, r)
}
func (p *passThrough) ListActionSchemas(ctx context.Context, r *v2.ListActionSchemasRequest) (*v2.ListActionSchemasResponse, error) {
	return p.c.ListActionSchemas(ctx, r)
}
func (p *passThrough) GetResource(ctx context.Context, r *v2.ResourceGetterServiceGetResourceRequest) (*v2.ResourceGetterServiceGetResourceResponse, error) {
	return p.c.GetResource(ctx, r)
}
