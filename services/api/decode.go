package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/flowplane/flowplane/openapi"
	"github.com/flowplane/flowplane/services/problem"
)

// bodyTypes maps each operation with a request body to its generated type. After the spec
// validation the gate decodes the body into it with DisallowUnknownFields and no trailing data, so
// a body the handler would read differently from the validator never reaches it.
var bodyTypes = map[string]func() any{
	"login":             func() any { return new(openapi.LoginJSONRequestBody) },
	"createProject":     func() any { return new(openapi.CreateProjectJSONRequestBody) },
	"updateProject":     func() any { return new(openapi.UpdateProjectJSONRequestBody) },
	"addMember":         func() any { return new(openapi.AddMemberJSONRequestBody) },
	"updateMember":      func() any { return new(openapi.UpdateMemberJSONRequestBody) },
	"createService":     func() any { return new(openapi.CreateServiceJSONRequestBody) },
	"updateService":     func() any { return new(openapi.UpdateServiceJSONRequestBody) },
	"createApplication": func() any { return new(openapi.CreateApplicationJSONRequestBody) },
	"updateApplication": func() any { return new(openapi.UpdateApplicationJSONRequestBody) },
	"createDeployment":  func() any { return new(openapi.CreateDeploymentJSONRequestBody) },
	"createVersion":     func() any { return new(openapi.CreateVersionJSONRequestBody) },
	"validateVersion":   func() any { return new(openapi.ValidateVersionJSONRequestBody) },
	"createQuery":       func() any { return new(openapi.CreateQueryJSONRequestBody) },
	"createIntegration": func() any { return new(openapi.CreateIntegrationJSONRequestBody) },
	"createToken":       func() any { return new(openapi.CreateTokenJSONRequestBody) },
	"createUser":        func() any { return new(openapi.CreateUserJSONRequestBody) },
}

// bodyType finds operation's type; the embedded spec may capitalise operation ids.
func bodyType(operation string) (func() any, bool) {
	for id, mk := range bodyTypes {
		if strings.EqualFold(id, operation) {
			return mk, true
		}
	}
	return nil, false
}

// decodeStrict checks that body decodes into operation's type with no unknown field and nothing
// after the JSON value.
func decodeStrict(operation string, body []byte) error {
	mk, ok := bodyType(operation)
	if !ok || len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(mk()); err != nil {
		return invalidBody(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return invalidBody(errors.New("unexpected data after the JSON value"))
	}
	return nil
}

func invalidBody(err error) error {
	msg := "malformed JSON: " + err.Error()
	return &problem.Error{Code: problem.CodeInvalidRequest, Detail: msg, Err: err,
		Fields: []problem.FieldError{{Message: fmt.Sprint(msg)}}}
}
