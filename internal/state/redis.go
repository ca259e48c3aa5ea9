package state

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// OnError is what Redis does while its server is down or slow.
type OnError int

// Policies for a Redis outage.
const (
	// FailOpen counts in local memory meanwhile (each replica then holds
	// the limits alone) and adds the spend recorded meanwhile to Redis when
	// it is back.
	FailOpen OnError = iota
	// FailClosed refuses requests (503) while the state is unknown.
	FailClosed
)

// ErrUnavailable is returned by a FailClosed store during an outage.
var ErrUnavailable = errors.New("shared state (redis) is unavailable")

// RedisOptions configure a Redis store.
type RedisOptions struct {
	// Client is the connected client (its own pool and dial settings).
	Client redis.UniversalClient
	// Prefix namespaces every key. Default "windrose:".
	Prefix string
	// Timeout bounds each round trip. Default 50ms.
	Timeout time.Duration
	// Retry is how long after a failure the store stays on its fallback
	// before trying Redis again, so an outage costs one timeout per Retry,
	// not one per request. Default 1s.
	Retry  time.Duration
	Policy OnError
	Logger *zap.Logger
	// OnFailure is called once per failed round trip (a metric).
	OnFailure func()
}

// Redis is the Store shared by every replica.
type Redis struct {
	o     RedisOptions
	local *Memory
	// downUntil is the UnixNano before which Redis is not tried.
	downUntil atomic.Int64
	logged    atomic.Bool

	mu      sync.Mutex
	pending map[pendingKey]float64 // spend recorded locally during an outage
}

type pendingKey struct {
	key   string
	start int64 // Unix seconds of the period
	p     Period
}

// NewRedis returns a store over o.Client.
func NewRedis(o RedisOptions) *Redis {
	if o.Prefix == "" {
		o.Prefix = "windrose:"
	}
	if o.Timeout <= 0 {
		o.Timeout = 50 * time.Millisecond
	}
	if o.Retry <= 0 {
		o.Retry = time.Second
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return &Redis{o: o, local: NewMemory(), pending: map[pendingKey]float64{}}
}

// keys names a key's counters. The {name} hash tag keeps them in one
// Redis Cluster slot, as a script's keys must be.
func (r *Redis) keys(key string, l Limits, now time.Time) (req, tok, spend string, ttl int64) {
	base := r.o.Prefix + "{" + key + "}:"
	req, tok = base+"req", base+"tok"
	if l.Period == NoPeriod {
		return req, tok, base + "spend", 1
	}
	start, end := l.Period.Bounds(now)
	// Spend outlives its period by a day so it can still be exported.
	ttl = int64(end.Sub(now)/time.Second) + 86400
	return req, tok, base + "spend:" + strconv.FormatInt(start.Unix(), 10), ttl
}

// available reports whether Redis should be tried now.
func (r *Redis) available(now time.Time) bool { return now.UnixNano() >= r.downUntil.Load() }

// failed records a failed round trip: fallback for Retry, a log line once
// per outage, the metric every time.
func (r *Redis) failed(err error) {
	r.downUntil.Store(time.Now().Add(r.o.Retry).UnixNano())
	if r.o.OnFailure != nil {
		r.o.OnFailure()
	}
	if !r.logged.Swap(true) {
		r.o.Logger.Error("shared state: redis unavailable; using the fallback policy",
			zap.String("policy", map[OnError]string{FailOpen: "fail_open", FailClosed: "fail_closed"}[r.o.Policy]), zap.Error(err))
	}
}

// recovered is called after a successful round trip: it ends the outage
// and pushes the spend counted locally meanwhile.
func (r *Redis) recovered(ctx context.Context) {
	if !r.logged.Load() {
		return
	}
	r.mu.Lock()
	pend := r.pending
	r.pending = map[pendingKey]float64{}
	r.mu.Unlock()
	pipe := r.o.Client.Pipeline()
	for k, usd := range pend {
		name := r.o.Prefix + "{" + k.key + "}:spend:" + strconv.FormatInt(k.start, 10)
		pipe.IncrByFloat(ctx, name, usd)
		_, end := k.p.Bounds(time.Unix(k.start, 0))
		pipe.ExpireAt(ctx, name, end.Add(24*time.Hour))
	}
	if len(pend) > 0 {
		if _, err := pipe.Exec(ctx); err != nil {
			r.mu.Lock()
			for k, usd := range pend {
				r.pending[k] += usd
			}
			r.mu.Unlock()
			r.failed(err)
			return
		}
	}
	r.logged.Store(false)
	r.o.Logger.Info("shared state: redis is back", zap.Int("reconciled_keys", len(pend)))
}

func (r *Redis) ctx(parent context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(parent, r.o.Timeout)
}

// Admit implements Store.
func (r *Redis) Admit(parent context.Context, a Admission) (Decision, error) {
	if !r.available(a.Now) {
		return r.fallbackAdmit(a)
	}
	ctx, cancel := r.ctx(parent)
	defer cancel()
	req, tok, spend, _ := r.keys(a.Key, a.Limits, a.Now)
	reserved := int64(0)
	if a.Limits.TokensPerMinute > 0 {
		reserved = min(max(a.Tokens, 1), a.Limits.TokensPerMinute)
	}
	now := a.Now.UnixMicro()
	res, err := admitScript.Run(ctx, r.o.Client, []string{req, tok, spend},
		now, a.Limits.RequestsPerMinute, a.Limits.TokensPerMinute, reserved, a.Limits.BudgetUSD, 0).Slice()
	if err != nil || len(res) != 5 {
		if err == nil {
			err = fmt.Errorf("admit script returned %v", res)
		}
		r.failed(err)
		return r.fallbackAdmit(a)
	}
	r.recovered(parent)
	reason, wait := toInt(res[0]), toInt(res[1])
	var d Decision
	d.SpentUSD, _ = strconv.ParseFloat(fmt.Sprint(res[4]), 64)
	if a.Limits.BudgetUSD > 0 {
		_, d.BudgetReset = a.Limits.Period.Bounds(a.Now)
	}
	switch Reason(reason) {
	case Budget:
		d.Reason, d.RetryAfter = Budget, d.BudgetReset.Sub(a.Now)
		return d, nil
	case RequestRate, TokenRate:
		d.Reason, d.RetryAfter = Reason(reason), time.Duration(wait)*time.Microsecond
		fillRemaining(&d, a.Limits, toInt(res[2]), toInt(res[3]), now)
		return d, nil
	}
	d.Reserved = reserved
	fillRemaining(&d, a.Limits, toInt(res[2]), toInt(res[3]), now)
	return d, nil
}

func (r *Redis) fallbackAdmit(a Admission) (Decision, error) {
	if r.o.Policy == FailClosed {
		return Decision{}, ErrUnavailable
	}
	return r.local.Admit(context.Background(), a)
}

// Settle implements Store. During an outage the spend is kept locally and
// added to Redis when it is back, whatever the policy: the money was spent.
func (r *Redis) Settle(parent context.Context, s Settlement) error {
	if r.available(s.Now) {
		ctx, cancel := r.ctx(parent)
		defer cancel()
		_, tok, spend, ttl := r.keys(s.Key, s.Limits, s.Now)
		err := settleScript.Run(ctx, r.o.Client, []string{tok, spend},
			s.Now.UnixMicro(), s.Limits.TokensPerMinute, s.Tokens-s.Reserved,
			strconv.FormatFloat(s.CostUSD, 'f', -1, 64), ttl).Err()
		if err == nil {
			r.recovered(parent)
			return nil
		}
		r.failed(err)
	}
	r.local.Settle(context.Background(), s)
	if s.Limits.BudgetUSD > 0 && s.CostUSD > 0 {
		start, _ := s.Limits.Period.Bounds(s.Now)
		r.mu.Lock()
		r.pending[pendingKey{s.Key, start.Unix(), s.Limits.Period}] += s.CostUSD
		r.mu.Unlock()
	}
	return nil
}

// Usage implements Store.
func (r *Redis) Usage(parent context.Context, key string, l Limits, now time.Time) (Usage, error) {
	if !r.available(now) {
		if r.o.Policy == FailClosed {
			return Usage{}, ErrUnavailable
		}
		return r.local.Usage(parent, key, l, now)
	}
	ctx, cancel := r.ctx(parent)
	defer cancel()
	req, tok, spend, _ := r.keys(key, l, now)
	res, err := usageScript.Run(ctx, r.o.Client, []string{req, tok, spend}).Slice()
	if err != nil || len(res) != 3 {
		if err == nil {
			err = fmt.Errorf("usage script returned %v", res)
		}
		r.failed(err)
		return r.Usage(parent, key, l, now)
	}
	var u Usage
	if l.Period != NoPeriod {
		u.PeriodStart, u.PeriodEnd = l.Period.Bounds(now)
		u.SpentUSD, _ = strconv.ParseFloat(fmt.Sprint(res[2]), 64)
	}
	var d Decision
	fillRemaining(&d, l, toInt(res[0]), toInt(res[1]), now.UnixMicro())
	u.RemainingRequests, u.RemainingTokens = d.RemainingRequests, d.RemainingTokens
	return u, nil
}

func toInt(v any) int64 {
	switch n := v.(type) {
	case int64:
		return n
	case string:
		i, _ := strconv.ParseInt(n, 10, 64)
		return i
	}
	return 0
}
