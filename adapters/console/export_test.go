package console

import httpapi "github.com/extguard/extguard/adapters/http"

// Route is one row of the console's route table, for the tests.
type Route struct {
	Method, Path string
	Permission   httpapi.Permission
}

// Routes is the console's route table (paths below Prefix).
func Routes() []Route {
	var out []Route
	for _, p := range (&Console{}).routes() {
		out = append(out, Route{p.method, p.path, p.permission})
	}
	return out
}
