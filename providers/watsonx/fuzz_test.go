package watsonx

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/windrose-gw/windrose/providers/internal/mistralwire"
)

// FuzzStream feeds arbitrary bodies to the watsonx stream: it must end
// (io.EOF or a classified error) within a bounded number of events and
// never panic.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "stream", "*.sse"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("event: error\ndata: {\"errors\":[],\"status_code\":99999}\n\n")
	f.Fuzz(func(t *testing.T, body string) {
		s := newStream(context.Background(), io.NopCloser(strings.NewReader(body)), &mistralwire.IDMap{})
		defer s.Close()
		for i := 0; i <= len(body)+1; i++ {
			if _, err := s.Next(); err != nil {
				return
			}
		}
		t.Fatal("stream did not end")
	})
}
