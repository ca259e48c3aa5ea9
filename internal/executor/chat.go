package executor

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/windrose-gw/windrose/internal/llm"
	"github.com/windrose-gw/windrose/internal/router"
)

// Chat serves a non-streamed request: the first attempt to return a
// complete answer wins.
func (e *Executor) Chat(ctx context.Context, rt *Route, req *llm.ChatRequest, rr router.Request) (*llm.ChatResponse, Result, error) {
	rr.Needs |= llm.Needs(req) // plan only over deployments that can serve it
	a, res, err := e.run(ctx, e.deadline(), rt, rr, false, func(a *attempt) {
		if rt.AttemptTimeout > 0 {
			stop := time.AfterFunc(rt.AttemptTimeout, func() { a.cancel(errAttemptTimeout) })
			defer stop.Stop()
		}
		a.upBegin()
		a.resp, a.err = a.t.Client.Chat(a.ctx, req)
		a.upEnd()
	})
	if err != nil {
		return nil, res, err
	}
	a.cancel(nil)
	a.model = a.resp.Model
	if len(a.resp.Choices) > 0 {
		a.finish = string(a.resp.Choices[0].FinishReason)
	}
	e.succeeded(a, a.resp.Usage)
	return a.resp, res, nil
}

func attemptFields(a *attempt) []zap.Field {
	return []zap.Field{
		zap.String("deployment", a.t.Name),
		zap.String("provider", a.t.Provider),
		zap.Bool("hedge", a.hedge),
		zap.Error(a.err),
	}
}
