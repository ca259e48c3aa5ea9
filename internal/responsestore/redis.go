package responsestore

import (
	"context"
	"errors"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a Store shared by every replica: SET with an expiry, GET, DEL,
// one round trip each. Stored responses survive a windrose restart as far
// as the Redis server persists.
type Redis struct {
	client redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// NewRedis returns a store over client; keys are prefix + "resp:{scope}:id"
// and expire after ttl (> 0).
func NewRedis(client redis.UniversalClient, prefix string, ttl time.Duration) *Redis {
	return &Redis{client: client, prefix: prefix + "resp:", ttl: ttl}
}

func (r *Redis) key(scope, id string) string { return r.prefix + "{" + scope + "}:" + id }

// Put implements Store.
func (r *Redis) Put(ctx context.Context, scope, id string, value []byte) error {
	return r.client.Set(ctx, r.key(scope, id), value, r.ttl).Err()
}

// Get implements Store: ErrNotFound for a missing, expired, deleted or
// other scope's id.
func (r *Redis) Get(ctx context.Context, scope, id string) ([]byte, error) {
	b, err := r.client.Get(ctx, r.key(scope, id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, ErrNotFound
	}
	return b, err
}

// Delete implements Store: ErrNotFound when there was nothing to delete.
func (r *Redis) Delete(ctx context.Context, scope, id string) error {
	n, err := r.client.Del(ctx, r.key(scope, id)).Result()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}
