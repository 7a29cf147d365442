package protocol

import (
	"context"
	"net/http"
	"reflect"
	"sort"

	"github.com/localyun/localyun"
)

// Product is one API product version as the wire and RAM know it.
type Product struct {
	Name    string // e.g. "Ecs"; used in error Recommend links
	Version string // e.g. "2014-05-26"
	// Service is the RAM service prefix of its actions, e.g. "ecs".
	Service string
	// DenyCode and DenyMessage are the 403 the product answers when RAM
	// refuses an action.
	DenyCode, DenyMessage string
}

// Action is one API action: one row of the table every request is routed,
// authorized and served by. In is the action's typed input: Parse builds
// it from the wire parameters once (every 4xx of bad input comes from
// there); Resources names the ARNs RAM decides on from that same input;
// Serve calls the service method of the action's name with it.
type Action[In any] struct {
	Name string // the API action, e.g. DetachInstanceRamRole; its RAM action is Service:Name
	// Public actions need an authenticated caller but no policy.
	Public bool
	// Resource documents the ARN pattern of Resources (docs/authorization.md).
	Resource string
	Parse    func(r *Request) (In, error)
	// Resources derives the ARNs from the parsed input and the caller, with
	// names in their stored spelling. It may read the store, never write.
	// Nil only for Public actions.
	Resources func(ctx context.Context, p localyun.Principal, in In) ([]string, error)
	Serve     func(ctx context.Context, in In) (any, error)
}

// Route is one registered action, its input type erased.
type Route struct {
	Product   Product
	Action    string
	RAMAction string
	Public    bool
	Resource  string
	// Input is the type of the action's parsed input (In of its Action):
	// a struct for every action that parses its parameters once.
	Input reflect.Type

	parse     func(r *Request) (any, error)
	resources func(ctx context.Context, p localyun.Principal, in any) ([]string, error)
	serve     func(ctx context.Context, in any) (any, error)
}

// Parse parses and validates the parameters of r into the action's input;
// what the action's parser accepts must also keep CheckParams.
func (rt *Route) Parse(r *Request) (any, error) {
	in, err := rt.parse(r)
	if err == nil {
		err = CheckParams(r.Params)
	}
	return in, err
}

// Resources returns the ARNs the action touches for in (nil for Public).
func (rt *Route) Resources(ctx context.Context, p localyun.Principal, in any) ([]string, error) {
	if rt.resources == nil {
		return nil, nil
	}
	return rt.resources(ctx, p, in)
}

// Serve runs the action on its parsed input.
func (rt *Route) Serve(ctx context.Context, in any) (any, error) { return rt.serve(ctx, in) }

// Mux dispatches on (Version, Action).
type Mux struct {
	routes   map[string]*Route
	products map[string]Product // by version
}

// NewMux returns an empty mux.
func NewMux() *Mux {
	return &Mux{routes: map[string]*Route{}, products: map[string]Product{}}
}

// Handle registers an action of a product. It panics on a duplicate or on
// a non-public action without Resources.
func Handle[In any](m *Mux, p Product, a Action[In]) {
	key := p.Version + "/" + a.Name
	if _, dup := m.routes[key]; dup {
		panic("protocol: duplicate route " + key)
	}
	if a.Parse == nil || a.Serve == nil || (!a.Public && a.Resources == nil) {
		panic("protocol: incomplete route " + key)
	}
	rt := &Route{Product: p, Action: a.Name, RAMAction: p.Service + ":" + a.Name, Public: a.Public, Resource: a.Resource,
		Input: reflect.TypeFor[In](),
		parse: func(r *Request) (any, error) { return a.Parse(r) },
		serve: func(ctx context.Context, in any) (any, error) { return a.Serve(ctx, in.(In)) },
	}
	if a.Resources != nil {
		rt.resources = func(ctx context.Context, pr localyun.Principal, in any) ([]string, error) {
			return a.Resources(ctx, pr, in.(In))
		}
	}
	m.routes[key] = rt
	m.products[p.Version] = p
}

// Routes returns every registered route, by version then action.
func (m *Mux) Routes() []*Route {
	out := make([]*Route, 0, len(m.routes))
	for _, r := range m.routes {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Product.Version != out[j].Product.Version {
			return out[i].Product.Version < out[j].Product.Version
		}
		return out[i].Action < out[j].Action
	})
	return out
}

// Lookup finds the route of a request. It returns the gateway errors for a
// missing or unknown Action or Version.
func (m *Mux) Lookup(version, action string) (*Route, error) {
	if action == "" {
		return nil, ErrMissing("Action")
	}
	if version == "" {
		return nil, ErrMissing("Version")
	}
	if rt, ok := m.routes[version+"/"+action]; ok {
		return rt, nil
	}
	if _, ok := m.products[version]; !ok {
		return nil, localyun.NewError(http.StatusBadRequest, "InvalidVersion", "Specified parameter Version is not valid.")
	}
	return nil, localyun.NewError(http.StatusNotFound, "InvalidAction.NotFound",
		"Specified api is not found, please check your url and method.")
}

// ProductOf returns the name of the product that registered a version, or "".
func (m *Mux) ProductOf(version string) string { return m.products[version].Name }
