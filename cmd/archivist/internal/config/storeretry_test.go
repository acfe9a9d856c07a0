package config

import (
	"strings"
	"testing"
	"time"
)

// TestStoreRetry: serve.store_retry defaults to a minute, takes a
// duration and refuses values that would hammer a down store or leave
// URLs waiting for hours.
func TestStoreRetry(t *testing.T) {
	if d := time.Duration(Default().Serve.StoreRetry); d != time.Minute {
		t.Errorf("default store_retry %s, want 1m", d)
	}
	c := Default()
	if err := Parse([]byte("serve:\n  store_retry: 5s\n"), &c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || time.Duration(c.Serve.StoreRetry) != 5*time.Second {
		t.Errorf("store_retry 5s: %s, %v", time.Duration(c.Serve.StoreRetry), err)
	}
	for _, v := range []string{"100ms", "2h"} {
		c := Default()
		err := Parse([]byte("serve:\n  store_retry: "+v+"\n"), &c)
		if err == nil {
			err = c.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), "serve.store_retry") || !strings.Contains(err.Error(), "1s to 1h") {
			t.Errorf("store_retry %s: %v", v, err)
		}
	}
}
