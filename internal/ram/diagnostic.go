package ram

import (
	"context"
	"net/http"

	"github.com/localyun/localyun"
	"github.com/localyun/localyun/internal/auth"
	"github.com/localyun/localyun/internal/protocol"
)

// docAnyResource is the resource of actions RAM authorizes on every
// resource ("All Resources" in Alibaba's documentation).
const docAnyResource = "*"

func registerDiagnostics(m *protocol.Mux, s *Service) {
	protocol.Handle(m, Product, protocol.Action[decodeInput]{Name: "DecodeDiagnosticMessage", Resource: docAnyResource,
		Parse: parseDecode, Resources: func(context.Context, localyun.Principal, decodeInput) ([]string, error) {
			return []string{"*"}, nil
		}, Serve: func(ctx context.Context, in decodeInput) (any, error) {
			m, err := s.DecodeDiagnosticMessage(ctx, in.Encoded)
			if err != nil {
				return nil, err
			}
			return decodeResponse{Message: m}, nil
		}})
}

// decodeInput is DecodeDiagnosticMessage's.
type decodeInput struct{ Encoded string }

// maxEncodedMessage bounds EncodedDiagnosticMessage (localyun's messages
// are a few kilobytes).
const maxEncodedMessage = 64 << 10

func parseDecode(r *protocol.Request) (decodeInput, error) {
	v := r.Get("EncodedDiagnosticMessage")
	switch {
	case v == "":
		return decodeInput{}, protocol.ErrMissing("EncodedDiagnosticMessage")
	case len(v) > maxEncodedMessage:
		return decodeInput{}, errInvalidDiagnosticMessage
	}
	return decodeInput{v}, nil
}

// decodeResponse is DecodeDiagnosticMessage's.
type decodeResponse struct {
	Message auth.DiagnosticMessage `json:"DecodedDiagnosticMessage" xml:"DecodedDiagnosticMessage"`
}

var errInvalidDiagnosticMessage = localyun.NewError(http.StatusBadRequest, "InvalidParameter.EncodedDiagnosticMessage",
	"The parameter EncodedDiagnosticMessage is invalid.")

// DecodeDiagnosticMessage is RAM's DecodeDiagnosticMessage (2015-05-01):
// the EncodedDiagnosticMessage of a denial decoded, for the account that
// was denied only. Returns InvalidParameter.EncodedDiagnosticMessage (400)
// for a message that is malformed, altered, made by a server with another
// master key, or made for another account.
func (s *Service) DecodeDiagnosticMessage(ctx context.Context, encoded string) (auth.DiagnosticMessage, error) {
	if s.opts.Diagnostics == nil {
		return auth.DiagnosticMessage{}, errInvalidDiagnosticMessage
	}
	m, err := s.opts.Diagnostics.Decode(accountOf(ctx), encoded)
	if err != nil {
		return auth.DiagnosticMessage{}, errInvalidDiagnosticMessage
	}
	return m, nil
}
