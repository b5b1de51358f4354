package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/dotc1z"
	"github.com/conductorone/baton-sdk/pkg/dotc1z/c1zstore"
	sdksync "github.com/conductorone/baton-sdk/pkg/sync"
)

// report is what `sync` and `read` print.
type report struct {
	OK          bool    `json:"ok"`
	SDKVersion  string  `json:"sdkVersion"`
	C1Z         string  `json:"c1z"`
	C1ZBytes    int64   `json:"c1zBytes"`
	Engine      string  `json:"engine,omitempty"`
	Workers     int     `json:"workers,omitempty"`
	SyncID      string  `json:"syncId"`
	SyncType    string  `json:"syncType"`
	SyncSeconds float64 `json:"syncSeconds,omitempty"`
	// CollectSeconds is the part of SyncSeconds that called the connector (until the SDK logged
	// "sync data collection complete"); the rest is the syncer's own grant expansion and indexing.
	CollectSeconds float64 `json:"collectSeconds,omitempty"`
	ReadSeconds    float64 `json:"readSeconds"`
	// PeakRSSMB is this process's peak resident memory (Linux only; 0 elsewhere).
	PeakRSSMB    float64        `json:"peakRssMB,omitempty"`
	ResourceType []string       `json:"resourceTypes"`
	Resources    map[string]int `json:"resources"`
	// Entitlements per resource type, and in total.
	Entitlements      map[string]int `json:"entitlements"`
	EntitlementsTotal int            `json:"entitlementsTotal"`
	Grants            grantCounts    `json:"grants"`
	// Warnings is the syncer's own warning count (NOT_FOUND answers it skipped; it only logs them,
	// as "sync completed with warnings"); Logs are every Warn+ entry the SDK logged during the run.
	Warnings *warnings   `json:"warnings,omitempty"`
	Wire     *wireReport `json:"wire,omitempty"`
	Dump     string      `json:"dump,omitempty"`
}

type grantCounts struct {
	Total int `json:"total"`
	// Direct grants came from the connector's ListGrants; Expanded ones were made by the syncer's
	// grant expansion (GrantExpandable) and have no source equal to their own entitlement.
	Direct   int            `json:"direct"`
	Expanded int            `json:"expanded"`
	ByType   map[string]int `json:"byEntitlementResourceType"`
}

type warnings struct {
	Count int           `json:"count"`
	Logs  []capturedLog `json:"logs"`
}

// dump is the optional full listing (--dump FILE) the TypeScript conformance test compares with
// the fake tenant's ground truth.
type dump struct {
	Resources    []dumpResource    `json:"resources"`
	Entitlements []dumpEntitlement `json:"entitlements"`
	Grants       []dumpGrant       `json:"grants"`
}

type dumpResource struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	ParentType string `json:"parentType,omitempty"`
	ParentID   string `json:"parentId,omitempty"`
	Name       string `json:"displayName,omitempty"`
	// Traits lists the trait annotations the resource carries (e.g. "UserTrait").
	Traits []string `json:"traits,omitempty"`
}

type dumpEntitlement struct {
	ID           string   `json:"id"`
	ResourceType string   `json:"resourceType"`
	ResourceID   string   `json:"resourceId"`
	Slug         string   `json:"slug"`
	GrantableTo  []string `json:"grantableTo,omitempty"`
}

type dumpGrant struct {
	ID            string   `json:"id"`
	Entitlement   string   `json:"entitlement"`
	PrincipalType string   `json:"principalType"`
	PrincipalID   string   `json:"principalId"`
	Expanded      bool     `json:"expanded"`
	Sources       []string `json:"sources,omitempty"`
	Annotations   []string `json:"annotations,omitempty"`
}

func cmdSync(args []string) (any, error) {
	fs := flag.NewFlagSet("sync", flag.ExitOnError)
	var c common
	c.register(fs)
	out := fs.String("out", "sync.c1z", "c1z file to write (replaced unless --resume)")
	workers := fs.Int("workers", 4, "syncer worker count (sync.WithWorkerCount; 1 = sequential)")
	engine := fs.String("engine", "pebble", "c1z storage engine: pebble (v3, the SDK default) or sqlite (v1)")
	dumpPath := fs.String("dump", "", "also write every resource, entitlement and grant id as JSON to this file")
	tmpDir := fs.String("tmp-dir", "", "scratch directory for the store (default: the system temp dir)")
	resume := fs.Bool("resume", false, "keep an existing --out and resume/extend it instead of replacing it")
	noCheck := fs.Bool("no-wire-check", false, "do not run the SDK's field rules (ValidateAll) on every request and response")
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	eng, err := engineOf(*engine)
	if err != nil {
		return nil, err
	}
	ctx, logs, err := newLogger(c.logLevel)
	if err != nil {
		return nil, err
	}
	var checker *wireChecker
	if !*noCheck {
		checker = newWireChecker()
	}
	client, closeConn, err := c.dial(ctx, checker)
	if err != nil {
		return nil, err
	}
	defer closeConn()
	if !*resume {
		if err := os.Remove(*out); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}

	// The SDK syncer, configured as a conformance run: fail on any ingestion-invariant violation
	// (dangling grant -> entitlement / principal, entitlement -> resource references, ...).
	opts := []sdksync.SyncOpt{
		sdksync.WithC1ZPath(*out),
		sdksync.WithStorageEngine(eng),
		sdksync.WithWorkerCount(*workers),
		sdksync.WithFailFastInvariants(),
	}
	if *tmpDir != "" {
		opts = append(opts, sdksync.WithTmpDir(*tmpDir))
	}
	started := time.Now()
	s, err := sdksync.NewSyncer(ctx, client, opts...)
	if err != nil {
		return nil, fmt.Errorf("NewSyncer: %w", err)
	}
	syncErr := s.Sync(ctx)
	closeErr := s.Close(ctx) // always: flushes and packs the c1z
	syncSeconds := time.Since(started).Seconds()
	captured := logs()
	partial := map[string]any{"warnings": warningsOf(captured)}
	if checker != nil {
		partial["wire"] = checker.report()
	}
	if syncErr != nil {
		return partial, fmt.Errorf("sync: %w", syncErr)
	}
	if closeErr != nil {
		return partial, fmt.Errorf("closing the c1z: %w", closeErr)
	}

	rep, err := readC1Z(ctx, *out, *tmpDir, *dumpPath)
	if err != nil {
		return partial, err
	}
	rep.Engine = string(eng)
	rep.Workers = *workers
	rep.SyncSeconds = round(syncSeconds)
	for _, l := range captured {
		if l.Message == "sync data collection complete" && !l.Time.IsZero() {
			rep.CollectSeconds = round(l.Time.Sub(started).Seconds())
		}
	}
	rep.Warnings = warningsOf(captured)
	if checker != nil {
		w := checker.report()
		rep.Wire = &w
	}
	return rep, nil
}

func cmdRead(args []string) (any, error) {
	fs := flag.NewFlagSet("read", flag.ExitOnError)
	path := fs.String("c1z", "sync.c1z", "c1z file to read")
	dumpPath := fs.String("dump", "", "also write every resource, entitlement and grant id as JSON to this file")
	tmpDir := fs.String("tmp-dir", "", "scratch directory (default: the system temp dir)")
	var level string
	registerLog(fs, &level)
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	ctx, _, err := newLogger(level)
	if err != nil {
		return nil, err
	}
	return readC1Z(ctx, *path, *tmpDir, *dumpPath)
}

func engineOf(name string) (c1zstore.Engine, error) {
	switch name {
	case "pebble":
		return c1zstore.EnginePebble, nil
	case "sqlite":
		return c1zstore.EngineSQLite, nil
	}
	return "", fmt.Errorf("--engine: %q is not pebble or sqlite", name)
}

// warningsOf pulls the syncer's warning count out of its closing log line and keeps every Warn+
// entry for the report.
func warningsOf(logs []capturedLog) *warnings {
	w := &warnings{Logs: []capturedLog{}}
	for _, l := range logs {
		if !milestones[l.Message] {
			w.Logs = append(w.Logs, l)
		}
	}
	for _, l := range logs {
		if l.Message == "sync completed with warnings" {
			if n, ok := l.Fields["warning_count"].(int64); ok {
				w.Count = int(n)
			}
		}
	}
	return w
}

// readC1Z opens the file the way the `baton` CLI does (read-only, latest finished sync of any
// type) and lists everything through the store's reader API, which uses the wire's own request
// types.
func readC1Z(ctx context.Context, path, tmpDir, dumpPath string) (*report, error) {
	started := time.Now()
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	opts := []dotc1z.C1ZOption{dotc1z.WithReadOnly(true)}
	if tmpDir != "" {
		opts = append(opts, dotc1z.WithTmpDir(tmpDir))
	}
	store, err := dotc1z.NewStore(ctx, path, opts...)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer func() { _ = store.Close(ctx) }()
	run, err := store.SyncMeta().LatestFinishedSyncOfAnyType(ctx)
	if err != nil {
		return nil, err
	}
	if run == nil {
		return nil, fmt.Errorf("%s holds no finished sync", path)
	}
	if err := store.SetCurrentSync(ctx, run.ID); err != nil {
		return nil, err
	}

	rep := &report{
		OK: true, SDKVersion: sdkVersion(), C1Z: path, C1ZBytes: st.Size(), SyncID: run.ID, SyncType: string(run.Type),
		ResourceType: []string{}, Resources: map[string]int{}, Entitlements: map[string]int{},
		Grants: grantCounts{ByType: map[string]int{}},
	}
	var d dump

	for tok := ""; ; {
		resp, err := store.ListResourceTypes(ctx, v2.ResourceTypesServiceListResourceTypesRequest_builder{PageToken: tok}.Build())
		if err != nil {
			return nil, fmt.Errorf("ListResourceTypes: %w", err)
		}
		for _, rt := range resp.GetList() {
			rep.ResourceType = append(rep.ResourceType, rt.GetId())
		}
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}
	sort.Strings(rep.ResourceType)

	for tok := ""; ; {
		resp, err := store.ListResources(ctx, v2.ResourcesServiceListResourcesRequest_builder{PageToken: tok}.Build())
		if err != nil {
			return nil, fmt.Errorf("ListResources: %w", err)
		}
		for _, r := range resp.GetList() {
			rep.Resources[r.GetId().GetResourceType()]++
			if dumpPath != "" {
				dr := dumpResource{Type: r.GetId().GetResourceType(), ID: r.GetId().GetResource(), Name: r.GetDisplayName()}
				if p := r.GetParentResourceId(); p != nil {
					dr.ParentType, dr.ParentID = p.GetResourceType(), p.GetResource()
				}
				for _, a := range r.GetAnnotations() {
					dr.Traits = append(dr.Traits, shortName(a.GetTypeUrl()))
				}
				d.Resources = append(d.Resources, dr)
			}
		}
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}

	for tok := ""; ; {
		resp, err := store.ListEntitlements(ctx, v2.EntitlementsServiceListEntitlementsRequest_builder{PageToken: tok}.Build())
		if err != nil {
			return nil, fmt.Errorf("ListEntitlements: %w", err)
		}
		for _, e := range resp.GetList() {
			rep.Entitlements[e.GetResource().GetId().GetResourceType()]++
			rep.EntitlementsTotal++
			if dumpPath != "" {
				de := dumpEntitlement{ID: e.GetId(), ResourceType: e.GetResource().GetId().GetResourceType(), ResourceID: e.GetResource().GetId().GetResource(), Slug: e.GetSlug()}
				for _, t := range e.GetGrantableTo() {
					de.GrantableTo = append(de.GrantableTo, t.GetId())
				}
				d.Entitlements = append(d.Entitlements, de)
			}
		}
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}

	for tok := ""; ; {
		resp, err := store.ListGrants(ctx, v2.GrantsServiceListGrantsRequest_builder{PageToken: tok}.Build())
		if err != nil {
			return nil, fmt.Errorf("ListGrants: %w", err)
		}
		for _, g := range resp.GetList() {
			entID := g.GetEntitlement().GetId()
			sources := g.GetSources().GetSources()
			// The expander records sources on every grant it touches; a grant the connector sent
			// has no sources, or (when expansion also reached it) its own entitlement among them.
			_, self := sources[entID]
			expanded := len(sources) > 0 && !self
			rep.Grants.Total++
			rep.Grants.ByType[g.GetEntitlement().GetResource().GetId().GetResourceType()]++
			if expanded {
				rep.Grants.Expanded++
			} else {
				rep.Grants.Direct++
			}
			if dumpPath != "" {
				dg := dumpGrant{ID: g.GetId(), Entitlement: entID, PrincipalType: g.GetPrincipal().GetId().GetResourceType(), PrincipalID: g.GetPrincipal().GetId().GetResource(), Expanded: expanded}
				for s := range sources {
					dg.Sources = append(dg.Sources, s)
				}
				sort.Strings(dg.Sources)
				for _, a := range g.GetAnnotations() {
					dg.Annotations = append(dg.Annotations, shortName(a.GetTypeUrl()))
				}
				d.Grants = append(d.Grants, dg)
			}
		}
		if tok = resp.GetNextPageToken(); tok == "" {
			break
		}
	}

	if dumpPath != "" {
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(dumpPath, b, 0o644); err != nil {
			return nil, err
		}
		rep.Dump = dumpPath
	}
	rep.ReadSeconds = round(time.Since(started).Seconds())
	rep.PeakRSSMB = peakRSSMB()
	return rep, nil
}

// shortName turns "type.googleapis.com/c1.connector.v2.UserTrait" into "UserTrait".
func shortName(typeURL string) string {
	for i := len(typeURL) - 1; i >= 0; i-- {
		if typeURL[i] == '.' || typeURL[i] == '/' {
			return typeURL[i+1:]
		}
	}
	return typeURL
}

// peakRSSMB reads VmHWM from /proc/self/status (Linux); 0 when unavailable.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kb float64
			if _, err := fmt.Sscanf(strings.TrimSpace(rest), "%f kB", &kb); err == nil {
				return round(kb / 1024)
			}
		}
	}
	return 0
}

func round(s float64) float64 { return float64(int64(s*1000)) / 1000 }
