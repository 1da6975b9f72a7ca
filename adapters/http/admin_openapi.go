package httpapi

import (
	"encoding/json"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// The OpenAPI 3.1 document is generated from the route table (paths,
// methods, permissions, parameters, bodies, statuses) and the schemas
// derived from the wire types (openapi_schema.go), so a route cannot be
// served without being described; a test checks the served routes against
// the document, and every answer of the package's tests against it.

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

var (
	openAPIOnce sync.Once
	openAPIDoc  []byte
)

func (a *Admin) openAPI(c *fiber.Ctx) error {
	openAPIOnce.Do(func() { openAPIDoc, _ = json.MarshalIndent(a.OpenAPI(), "", "  ") })
	c.Set(fiber.HeaderContentType, "application/json")
	return c.Send(openAPIDoc)
}

// jsonObject is an object of the OpenAPI document being built (a schema,
// an operation, a path item).
type jsonObject = map[string]any

func (a *Admin) metaRoutes() []route {
	return []route{
		{Method: fiber.MethodGet, Path: "/api/v1/openapi.json", Permission: PermPublic, Tag: "meta", Summary: "This document", Status: fiber.StatusOK, Response: "OpenAPI", handle: a.openAPI},
	}
}

// OpenAPI builds the document.
func (a *Admin) OpenAPI() map[string]any {
	paths := jsonObject{}
	for _, r := range routeTable(a, nil) {
		item, _ := paths[r.Path].(jsonObject)
		if item == nil {
			item = jsonObject{}
			paths[r.Path] = item
		}
		op := r.operation
		if op == nil {
			op = r.describe()
		}
		item[strings.ToLower(r.Method)] = op
	}
	schemas := buildSchemas(slices.Concat(adminShapes(), agentShapes(), requestShapes()))
	return jsonObject{
		"openapi": "3.1.0",
		"info": jsonObject{"title": "extguard API", "version": "1.0.0",
			"description": "The admin REST API and the agent protocol v1 of extguard. Agent routes take a group API key of scope agent (x-extguard-permission agent-key). Lists are keyset-paginated (limit 1-500, default 50; opaque cursor). " +
				"Errors are application/problem+json (RFC 9457). Every route's required permission is in x-extguard-permission; " +
				"roles: admin (everything), editor (policy), auditor (read everything incl. audit log), viewer (read but audit log and users)."},
		"servers":    []jsonObject{{"url": "/"}},
		"paths":      paths,
		"components": jsonObject{"securitySchemes": jsonObject{"bearer": jsonObject{"type": "http", "scheme": "bearer", "description": "session token (egs_…) from /api/v1/auth/login, or an API key (egk_…) with admin or read scope"}}, "schemas": schemas},
		"security":   []jsonObject{{"bearer": []string{}}},
	}
}

func (r *route) operationID() string {
	parts := []string{strings.ToLower(r.Method)}
	for _, seg := range strings.Split(strings.TrimPrefix(r.Path, "/api/v1/"), "/") {
		seg = strings.NewReplacer("{", "by_", "}", "", "-", "_", ".", "_").Replace(seg)
		parts = append(parts, seg)
	}
	return strings.Join(parts, "_")
}

func (r *route) describe() jsonObject {
	op := jsonObject{"operationId": r.operationID(), "summary": r.Summary, "tags": []string{r.Tag},
		"x-extguard-permission": string(r.Permission)}
	if r.Permission == PermPublic {
		op["security"] = []jsonObject{}
	}
	var params []jsonObject
	for _, m := range pathParam.FindAllStringSubmatch(r.Path, -1) {
		params = append(params, jsonObject{"name": m[1], "in": "path", "required": true, "schema": jsonObject{"type": "string", "format": "uuid"}})
	}
	if r.List {
		params = append(params,
			jsonObject{"name": "limit", "in": "query", "schema": jsonObject{"type": "integer", "minimum": 1, "maximum": 500, "default": 50}},
			jsonObject{"name": "cursor", "in": "query", "schema": jsonObject{"type": "string"}, "description": "next_cursor of the previous page"})
	}
	for _, p := range r.Query {
		s := jsonObject{"type": "string"}
		switch p.Type {
		case "uuid":
			s["format"] = "uuid"
		case "date-time":
			s["format"] = "date-time"
		case "boolean":
			s = jsonObject{"type": "boolean"}
		}
		if len(p.Enum) > 0 {
			s["enum"] = p.Enum
		}
		q := jsonObject{"name": p.Name, "in": "query", "schema": s}
		if p.Description != "" {
			q["description"] = p.Description
		}
		params = append(params, q)
	}
	if len(params) > 0 {
		op["parameters"] = params
	}
	switch r.Body {
	case "":
	case rawFileBody: // a file as it is, whatever its format
		file := jsonObject{"schema": schemaOfType("string")}
		op["requestBody"] = jsonObject{"required": true, "content": jsonObject{"application/octet-stream": file,
			"text/plain": file, "text/markdown": file, "application/json": jsonObject{"schema": jsonObject{}}}}
	default:
		op["requestBody"] = jsonObject{"required": true, "content": jsonObject{"application/json": jsonObject{"schema": ref(r.Body)}}}
	}
	op["responses"] = r.responses()
	return op
}

func (r *route) responses() jsonObject {
	out := jsonObject{}
	success := jsonObject{"description": strings.ToLower(strings.TrimSpace(r.Summary))}
	switch {
	case r.Response == "VSCodePolicy":
		text := jsonObject{"schema": schemaOfType("string")}
		success["content"] = jsonObject{"application/json": jsonObject{"schema": ref("VSCodePolicyFile")},
			"application/x-apple-aspen-config": text, "text/plain": text}
	case r.Response == sbomResponse:
		success["content"] = jsonObject{"application/vnd.cyclonedx+json": jsonObject{"schema": schemaOfType("object")}}
	case r.Response == "PolicyFileText": // YAML, described by /api/v1/policy/schema.json
		success["content"] = jsonObject{"application/yaml": jsonObject{"schema": schemaOfType("object")}}
	case r.Response != "":
		success["content"] = jsonObject{"application/json": jsonObject{"schema": ref(r.Response)}}
	}
	out[strconv.Itoa(r.Status)] = success
	if r.Method == fiber.MethodPut {
		out[strconv.Itoa(fiber.StatusCreated)] = success // a PUT that created its target (RFC 9110 9.3.4)
	}
	problems := []int{400}
	if r.Permission != PermPublic {
		problems = append(problems, 401, 403)
	}
	if strings.Contains(r.Path, "{") {
		problems = append(problems, 404)
	}
	if r.Method != fiber.MethodGet && r.Permission != PermPublic && r.Permission != PermSession {
		problems = append(problems, 409) // a write can meet the state it cannot change
	}
	if r.Body != "" {
		problems = append(problems, 413)
	}
	if r.Path == "/api/v1/auth/login" {
		problems = append(problems, 401, 429)
	}
	addProblems(out, problems...)
	return out
}

// addProblems declares problem answers; every route may answer 503 when a
// store it needs is unavailable, and a 401 names the scheme to retry with.
func addProblems(out jsonObject, statuses ...int) {
	for _, st := range append(statuses, fiber.StatusServiceUnavailable) {
		p := jsonObject{"description": "problem", "content": jsonObject{"application/problem+json": jsonObject{"schema": ref("Problem")}}}
		if st == fiber.StatusUnauthorized {
			p["headers"] = jsonObject{fiber.HeaderWWWAuthenticate: jsonObject{"required": true, "schema": jsonObject{"type": "string", "pattern": "^Bearer"}}}
		}
		out[strconv.Itoa(st)] = p
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func ref(name string) jsonObject { return jsonObject{"$ref": "#/components/schemas/" + name} }

func sortedStrings(in []string) []string {
	sort.Strings(in)
	return in
}
