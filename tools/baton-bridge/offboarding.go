package main

// Offboarding through the SDK's own request shapes (issue 15):
//
//	baton-bridge delete        --addr ... --resource-type user|api-token --resource-id <id>
//	baton-bridge invoke-action --addr ... --name account_deactivate --resource-id <accountId> [--resource-type user]
//
// delete runs the SDK's provisioner (provisioner.NewResourceDeleter, what `baton-<connector>
// --delete-resource <id> --delete-resource-type <type>` runs), which sends
// ResourceManagerService.DeleteResource; invoke-action builds InvokeActionRequest as the SDK's local
// action invoker does (name, args Struct, resource_type_id).

import (
	"context"
	"flag"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/provisioner"
)

func (r *recorder) DeleteResource(ctx context.Context, in *v2.DeleteResourceRequest, opts ...grpc.CallOption) (*v2.DeleteResourceResponse, error) {
	resp, err := r.ConnectorClient.DeleteResource(ctx, in, opts...)
	r.keep(in, resp)
	return resp, err
}

func cmdDelete(args []string) (any, error) {
	fs := flag.NewFlagSet("delete", flag.ExitOnError)
	var c common
	c.register(fs)
	rtype := fs.String("resource-type", "", "resource type of the resource to delete, e.g. user or api-token")
	rid := fs.String("resource-id", "", "its id, e.g. an account id or <accountId>:<tokenId>")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := required("resource-type", *rtype, "resource-id", *rid); err != nil {
		return nil, err
	}
	ctx, client, checker, closeConn, err := c.connect()
	if err != nil {
		return nil, err
	}
	defer closeConn()
	rec := &recorder{ConnectorClient: client}
	// the deleter reads no c1z; the path is never opened
	p := provisioner.NewResourceDeleter(rec, "unused.c1z", *rid, *rtype)
	runErr := p.Run(ctx)
	if cerr := p.Close(ctx); cerr != nil && runErr == nil {
		runErr = fmt.Errorf("closing: %w", cerr)
	}
	var annos []string
	if r, ok := rec.resp.(*v2.DeleteResourceResponse); ok {
		annos = shortNames(r.GetAnnotations())
	}
	return finish(&provisionResult{}, rec.req, rec.resp, annos, checker, runErr)
}

func cmdInvokeAction(args []string) (any, error) {
	fs := flag.NewFlagSet("invoke-action", flag.ExitOnError)
	var c common
	c.register(fs)
	name := fs.String("name", "", "action name, e.g. account_deactivate")
	rid := fs.String("resource-id", "", "the resource_id argument (an account id)")
	rtype := fs.String("resource-type", "", "resource_type_id of the action (optional)")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	if err := required("name", *name, "resource-id", *rid); err != nil {
		return nil, err
	}
	ctx, client, checker, closeConn, err := c.connect()
	if err != nil {
		return nil, err
	}
	defer closeConn()
	argStruct, err := structpb.NewStruct(map[string]any{"resource_id": *rid})
	if err != nil {
		return nil, err
	}
	b := v2.InvokeActionRequest_builder{Name: *name, Args: argStruct}
	if *rtype != "" {
		b.ResourceTypeId = *rtype
	}
	req := b.Build()
	resp, err := client.InvokeAction(ctx, req)
	return finish(&provisionResult{}, req, resp, shortNames(resp.GetAnnotations()), checker, err)
}
