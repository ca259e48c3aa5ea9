package state

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Cooldown is what one replica learned about a deployment: keep off it
// until Until (a Retry-After, or an open breaker's open time).
type Cooldown struct {
	Deployment string
	Until      time.Time
}

// Peers shares deployment cooldowns between replicas over Redis pub/sub.
// Each replica still runs its own breaker and probes; a peer's cooldown only
// keeps it off the deployment meanwhile.
type Peers struct {
	client  redis.UniversalClient
	channel string
	origin  string // this replica, to skip its own messages
	timeout time.Duration
	log     *zap.Logger
}

// NewPeers returns the sharing half of a Redis store.
func NewPeers(client redis.UniversalClient, prefix string, logger *zap.Logger) *Peers {
	if prefix == "" {
		prefix = "windrose:"
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &Peers{client: client, channel: prefix + "deployments", origin: hex.EncodeToString(b[:]),
		timeout: 200 * time.Millisecond, log: logger}
}

// Publish tells the other replicas about c. It never blocks the caller:
// the message goes out on its own goroutine, and a failure is only logged.
func (p *Peers) Publish(c Cooldown) {
	msg := p.origin + "|" + strconv.FormatInt(c.Until.UnixMilli(), 10) + "|" + c.Deployment
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), p.timeout)
		defer cancel()
		if err := p.client.Publish(ctx, p.channel, msg).Err(); err != nil {
			p.log.Warn("shared state: could not publish a deployment cooldown", zap.String("deployment", c.Deployment), zap.Error(err))
		}
	}()
}

// Run delivers other replicas' cooldowns to apply until ctx ends. It
// reconnects by itself after a Redis outage (go-redis resubscribes).
// ready, when not nil, is closed once the subscription is live.
func (p *Peers) Run(ctx context.Context, apply func(Cooldown), ready chan<- struct{}) {
	sub := p.client.Subscribe(ctx, p.channel)
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn("shared state: subscribing to deployment cooldowns failed; retrying in the background", zap.Error(err))
	}
	if ready != nil {
		close(ready)
	}
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			if c, ok := p.parse(m.Payload); ok {
				apply(c)
			}
		}
	}
}

func (p *Peers) parse(msg string) (Cooldown, bool) {
	origin, rest, ok := strings.Cut(msg, "|")
	if !ok || origin == p.origin {
		return Cooldown{}, false
	}
	ms, dep, ok := strings.Cut(rest, "|")
	n, err := strconv.ParseInt(ms, 10, 64)
	if !ok || err != nil || dep == "" {
		return Cooldown{}, false
	}
	return Cooldown{Deployment: dep, Until: time.UnixMilli(n)}, true
}
