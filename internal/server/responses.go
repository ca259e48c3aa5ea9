package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"

	"github.com/go-chi/chi/v5"
	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/gwerr"
	"github.com/windrose-gw/windrose/internal/openaiapi"
	"github.com/windrose-gw/windrose/internal/responsesapi"
	"github.com/windrose-gw/windrose/internal/responsestore"
	"github.com/windrose-gw/windrose/internal/router"
)

// apiResponses is the api label of Responses API requests.
const apiResponses = "responses"

// responses serves POST /v1/responses: the Responses API decoded onto the
// same neutral request, router and executor as chat completions.
func (s *Server) responses(w http.ResponseWriter, r *http.Request) {
	start := s.o.Now()
	acc := access{model: "unknown", api: apiResponses}
	defer func() { s.finish(r, start, &acc) }()

	buf := bufPool.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); bufPool.Put(buf) }()
	lift := s.bodyDeadline(w)
	if err := readBody(buf, w, r, s.o.MaxBodyBytes); err != nil {
		acc.err, acc.status = err, writeError(w, err)
		return
	}
	lift()
	acc.bodySize = buf.Len()
	req, err := responsesapi.DecodeRequest(buf.Bytes())
	if err == nil {
		err = s.conversation(r, req)
	}
	if err != nil {
		acc.err, acc.status = err, writeError(w, err)
		return
	}
	if s.o.LogBodies {
		s.o.Logger.Debug("request body", zap.String("request_id", RequestID(r.Context())), zap.ByteString("body", buf.Bytes()))
	}
	acc.stream = req.Chat.Stream
	rt, ok := s.snapOf(r.Context()).Catalog.Lookup(req.Chat.Model)
	if !ok {
		acc.err = unknownModel(req.Chat.Model)
		acc.status = writeError(w, acc.err)
		return
	}
	acc.model = rt.Model.Name
	defer s.track(rt.Model.Name)()
	ctx := r.Context()
	if k := KeyOf(ctx); k != nil {
		acc.key = k.Name
	}
	rr := routing(r, s.o.PreferRegion)
	if err := s.checkPin(rr); err != nil {
		acc.err, acc.status = err, writeError(w, err)
		return
	}
	ctx, acc.ticket, err = s.admit(ctx, w, rt.Model.Name, req.Chat.Model, req.Chat, acc.bodySize, &rr)
	if err != nil {
		acc.err, acc.status = err, writeError(w, err)
		return
	}
	x := &exchange{req: req, id: "resp_" + newID(), created: start.Unix(), scope: clientScope(r),
		stored: req.Store && s.o.Responses != nil}
	if req.Chat.Stream {
		s.responsesStream(ctx, w, rt, x, rr, &acc)
		return
	}
	resp, res, err := s.o.Executor.Chat(ctx, rt, req.Chat, rr)
	acc.res = res
	if err != nil {
		setRouteHeaders(w.Header(), nil, res.Attempts)
		acc.err, acc.status = err, writeError(w, err)
		return
	}
	acc.usage = resp.Usage
	setRouteHeaders(w.Header(), res.Target, res.Attempts)
	out := responsesapi.New(x.id, x.created, req, resp)
	out.Store = x.stored
	body := responsesapi.AppendResponse(buf.Bytes()[:0], out)
	s.save(ctx, x, body, out)
	if s.o.LogBodies {
		s.o.Logger.Debug("response body", zap.String("request_id", RequestID(r.Context())), zap.ByteString("body", body))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
	acc.status = http.StatusOK
}

// exchange is one Responses request on its way through the executor.
type exchange struct {
	req     *responsesapi.Request
	id      string
	created int64
	scope   string
	stored  bool // store the response once it completes
}

// routing is the router request a client's headers ask for (the same rules
// as chat completions).
func routing(r *http.Request, prefer string) router.Request {
	return router.Request{
		Regions:      splitList(r.Header.Get("X-Windrose-Region")),
		Pin:          strings.TrimSpace(r.Header.Get("X-Windrose-Deployment")),
		PreferRegion: prefer,
	}
}

// conversation resolves previous_response_id and the store flags: the
// stored conversation goes in front of this request's input.
func (s *Server) conversation(r *http.Request, req *responsesapi.Request) error {
	st := s.o.Responses
	switch {
	case st == nil && req.PreviousResponseID != "":
		return noStore("previous_response_id", "previous_response_id needs stored responses, and this gateway has no response store")
	case st == nil && req.StoreSet && req.Store:
		return noStore("store", "store: true needs a response store, and this gateway has none; send store: false")
	case req.PreviousResponseID == "":
		return nil
	}
	rec, err := st.Get(r.Context(), clientScope(r), req.PreviousResponseID)
	if errors.Is(err, responsestore.ErrNotFound) {
		e := gwerr.New(gwerr.InvalidRequest, "Previous response with id '%s' not found.", req.PreviousResponseID)
		e.Param, e.Code = "previous_response_id", "previous_response_not_found"
		return e
	}
	if err != nil {
		return gwerr.Wrap(gwerr.Unavailable, err, "the response store is unavailable")
	}
	_, history, err := responsesapi.DecodeRecord(rec)
	if err != nil {
		return gwerr.Wrap(gwerr.Internal, err, "stored response %s is unreadable", req.PreviousResponseID)
	}
	req.Prepend(history)
	return nil
}

func noStore(param, msg string) error {
	e := gwerr.New(gwerr.InvalidRequest, "%s", msg)
	e.Param, e.Code = param, "response_store_disabled"
	return e
}

// save stores a finished response with the conversation it continues, when
// the client asked for storage. A store failure is logged, not returned:
// the client already has its answer.
func (s *Server) save(ctx context.Context, x *exchange, body []byte, out *responsesapi.Response) {
	if !x.stored || out.Status == responsesapi.StatusFailed {
		return
	}
	conv := x.req.Chat.Messages
	if x.req.Instructions != "" && len(conv) > 0 {
		conv = conv[1:] // instructions are not carried over
	}
	conv = append(conv[:len(conv):len(conv)], out.Messages()...)
	rec := responsesapi.AppendRecord(make([]byte, 0, len(body)*2), body, conv)
	if err := s.o.Responses.Put(context.WithoutCancel(ctx), x.scope, x.id, rec); err != nil {
		s.o.Logger.Warn("response store", zap.String("request_id", RequestID(ctx)), zap.Error(err))
	}
}

// clientScope names the client key a stored response belongs to: the
// configured key's name; without client auth, a hash of whatever bearer
// credential was sent (never the credential itself), "anonymous" without
// one.
func clientScope(r *http.Request) string {
	if k := KeyOf(r.Context()); k != nil {
		return "key:" + k.Name
	}
	key, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(key) == "" {
		return "anonymous"
	}
	sum := sha256.Sum256([]byte(strings.TrimSpace(key)))
	return hex.EncodeToString(sum[:16])
}

// getResponse serves GET /v1/responses/{id}.
func (s *Server) getResponse(w http.ResponseWriter, r *http.Request) {
	rec, err := s.stored(r)
	if err == nil && r.URL.Query().Get("stream") == "true" {
		err = gwerr.New(gwerr.InvalidRequest, "streaming a stored response is not supported")
		err.(*gwerr.Error).Param = "stream"
	}
	var body []byte
	if err == nil {
		body, _, err = responsesapi.DecodeRecord(rec)
	}
	if err != nil {
		writeError(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// deleteResponse serves DELETE /v1/responses/{id}.
func (s *Server) deleteResponse(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	_, err := s.stored(r)
	if err == nil {
		err = s.o.Responses.Delete(r.Context(), clientScope(r), id)
	}
	if err != nil {
		writeError(w, storeError(err, id))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	out := append([]byte(`{"id":`), openaiapi.AppendString(nil, id)...)
	_, _ = w.Write(append(out, `,"object":"response.deleted","deleted":true}`...))
}

// stored fetches the record of the response named in the path.
func (s *Server) stored(r *http.Request) ([]byte, error) {
	if s.o.Responses == nil {
		return nil, noStore("response_id", "this gateway has no response store, so no response can be retrieved")
	}
	id := chi.URLParam(r, "id")
	rec, err := s.o.Responses.Get(r.Context(), clientScope(r), id)
	return rec, storeError(err, id)
}

func storeError(err error, id string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, responsestore.ErrNotFound):
		e := notFound("Response with id '%s' not found.", id)
		e.(*gwerr.Error).Param = "response_id"
		return e
	}
	var ge *gwerr.Error
	if errors.As(err, &ge) {
		return err
	}
	return gwerr.Wrap(gwerr.Unavailable, err, "the response store is unavailable")
}
