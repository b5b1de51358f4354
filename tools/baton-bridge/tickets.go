package main

// baton-bridge tickets --addr ... [--template ticket.json] [--bulk]
//
// Drives the TicketsService the way the SDK's own ticket tasks do (pkg/tasks/local/ticket.go): pages
// ListTicketSchemas, and with --template (the SDK's ticket template JSON: schema_id, display_name,
// description, labels, custom_fields) reads the schema with GetTicketSchema, turns each custom field
// into the request's value with the SDK's ticket.CustomFieldForSchemaField, sends CreateTicket (or
// BulkCreateTickets with --bulk) with the schema, reads the ticket back with GetTicket and checks it
// with the SDK's ticket.ValidateTicket against the schema.

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	sdkTicket "github.com/conductorone/baton-sdk/pkg/types/ticket"
)

type ticketTemplate struct {
	SchemaID     string         `json:"schema_id"`
	DisplayName  string         `json:"display_name"`
	Description  string         `json:"description"`
	Labels       []string       `json:"labels"`
	CustomFields map[string]any `json:"custom_fields"`
}

type ticketsResult struct {
	OK          bool            `json:"ok"`
	SchemaIDs   []string        `json:"schemaIds"`
	Pages       int             `json:"pages"`
	Schema      json.RawMessage `json:"schema,omitempty"`
	Request     json.RawMessage `json:"request,omitempty"`
	Created     json.RawMessage `json:"created,omitempty"`
	CreateError string          `json:"createError,omitempty"`
	Got         json.RawMessage `json:"got,omitempty"`
	// ValidateTicket (the SDK's check of a ticket against its schema) on the ticket GetTicket answered
	Valid   bool        `json:"valid"`
	Code    string      `json:"code,omitempty"`
	Message string      `json:"message,omitempty"`
	Wire    *wireReport `json:"wire,omitempty"`
}

// sdkValue converts a template's JSON value into the Go type CustomFieldForSchemaField expects for
// the schema field's kind (JSON gives []any, float64 and strings where it wants []string, float32
// and a Timestamp).
func sdkValue(schema *v2.TicketSchema, id string, v any) (any, error) {
	f, ok := schema.GetCustomFields()[id]
	if !ok {
		return v, nil // the SDK says the field is not in the schema
	}
	switch f.WhichValue() {
	case v2.TicketCustomField_StringValues_case, v2.TicketCustomField_PickMultipleStringValues_case:
		arr, ok := v.([]any)
		if !ok {
			return v, nil
		}
		out := make([]string, 0, len(arr))
		for _, x := range arr {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("custom field %s: %v is not a string", id, x)
			}
			out = append(out, s)
		}
		return out, nil
	case v2.TicketCustomField_NumberValue_case:
		if n, ok := v.(float64); ok {
			return float32(n), nil
		}
	case v2.TicketCustomField_TimestampValue_case:
		if s, ok := v.(string); ok {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return nil, fmt.Errorf("custom field %s: %w", id, err)
			}
			return timestamppb.New(t), nil
		}
	}
	return v, nil
}

func cmdTickets(args []string) (any, error) {
	fs := flag.NewFlagSet("tickets", flag.ExitOnError)
	var c common
	c.register(fs)
	templatePath := fs.String("template", "", "an SDK ticket template (JSON) to create, read back and validate")
	bulk := fs.Bool("bulk", false, "create through BulkCreateTickets (one item) instead of CreateTicket")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	ctx, client, checker, closeConn, err := c.connect()
	if err != nil {
		return nil, err
	}
	defer closeConn()
	res := &ticketsResult{SchemaIDs: []string{}}
	fail := func(err error) (any, error) {
		if st, ok := status.FromError(err); ok {
			res.Code, res.Message = st.Code().String(), st.Message()
		}
		w := checker.report()
		res.Wire = &w
		return res, err
	}

	token := ""
	for {
		resp, err := client.ListTicketSchemas(ctx, v2.TicketsServiceListTicketSchemasRequest_builder{PageToken: token}.Build())
		if err != nil {
			return fail(err)
		}
		res.Pages++
		for _, s := range resp.GetList() {
			res.SchemaIDs = append(res.SchemaIDs, s.GetId())
		}
		token = resp.GetNextPageToken()
		if token == "" {
			break
		}
		if res.Pages > 10000 {
			return fail(fmt.Errorf("ListTicketSchemas did not end after %d pages", res.Pages))
		}
	}

	if *templatePath != "" {
		raw, err := os.ReadFile(*templatePath)
		if err != nil {
			return fail(fmt.Errorf("--template: %w", err))
		}
		var tpl ticketTemplate
		if err := json.Unmarshal(raw, &tpl); err != nil {
			return fail(fmt.Errorf("--template: %w", err))
		}
		sr, err := client.GetTicketSchema(ctx, v2.TicketsServiceGetTicketSchemaRequest_builder{Id: tpl.SchemaID}.Build())
		if err != nil {
			return fail(err)
		}
		schema := sr.GetSchema()
		res.Schema = toJSON(schema)
		cfs := map[string]*v2.TicketCustomField{}
		for k, v := range tpl.CustomFields {
			val, err := sdkValue(schema, k, v)
			if err != nil {
				return fail(err)
			}
			cf, err := sdkTicket.CustomFieldForSchemaField(k, schema, val)
			if err != nil {
				return fail(err)
			}
			cfs[k] = cf
		}
		req := v2.TicketsServiceCreateTicketRequest_builder{
			Request: v2.TicketRequest_builder{
				DisplayName:  tpl.DisplayName,
				Description:  tpl.Description,
				Labels:       tpl.Labels,
				CustomFields: cfs,
			}.Build(),
			Schema: schema,
		}.Build()
		res.Request = toJSON(req)
		var created *v2.Ticket
		if *bulk {
			br, err := client.BulkCreateTickets(ctx, v2.TicketsServiceBulkCreateTicketsRequest_builder{TicketRequests: []*v2.TicketsServiceCreateTicketRequest{req}}.Build())
			if err != nil {
				return fail(err)
			}
			if len(br.GetTickets()) != 1 {
				return fail(fmt.Errorf("BulkCreateTickets answered %d items for 1", len(br.GetTickets())))
			}
			if e := br.GetTickets()[0].GetError(); e != "" {
				res.CreateError = e
				return fail(fmt.Errorf("BulkCreateTickets item failed: %s", e))
			}
			created = br.GetTickets()[0].GetTicket()
		} else {
			cr, err := client.CreateTicket(ctx, req)
			if err != nil {
				return fail(err)
			}
			created = cr.GetTicket()
		}
		res.Created = toJSON(created)
		gr, err := client.GetTicket(ctx, v2.TicketsServiceGetTicketRequest_builder{Id: created.GetId()}.Build())
		if err != nil {
			return fail(err)
		}
		res.Got = toJSON(gr.GetTicket())
		res.Valid, err = sdkTicket.ValidateTicket(ctx, schema, gr.GetTicket())
		if err != nil {
			return fail(err)
		}
	}
	w := checker.report()
	res.Wire = &w
	res.OK = len(w.Violations) == 0 && (*templatePath == "" || res.Valid)
	if !res.OK {
		return res, fmt.Errorf("wire violations or a ticket the SDK does not validate")
	}
	return res, nil
}
