package location

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/archivist-project/archivist/archive/store/miniotest"
	"github.com/archivist-project/archivist/archive/store/s3"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

var creds = envOf(map[string]string{EnvAccessKey: "AKIDEXAMPLE", EnvSecretKey: "s3cr3t-value", EnvSessionToken: "tok"})

func TestParse(t *testing.T) {
	tests := []struct {
		raw  string
		want target
	}{
		{"/srv/archive", target{dir: "/srv/archive"}},
		{"relative/dir", target{dir: "relative/dir"}},
		{"file:///srv/my%20archive", target{dir: "/srv/my archive"}},
		{"file://localhost/srv/a", target{dir: "/srv/a"}},
		{"s3://bucket", target{s3: &s3.Config{Endpoint: "s3.amazonaws.com", Bucket: "bucket", Secure: true,
			AccessKey: "AKIDEXAMPLE", SecretKey: "s3cr3t-value", SessionToken: "tok"}}},
		{"s3://bucket/a/b/?endpoint=127.0.0.1:9000&secure=false&region=eu-west-1",
			target{s3: &s3.Config{Endpoint: "127.0.0.1:9000", Bucket: "bucket", Prefix: "a/b", Region: "eu-west-1",
				AccessKey: "AKIDEXAMPLE", SecretKey: "s3cr3t-value", SessionToken: "tok"}}},
	}
	for _, tt := range tests {
		got, err := parse(tt.raw, creds)
		if err != nil {
			t.Errorf("parse %q: %v", tt.raw, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parse %q = %+v (s3 %+v), want %+v (s3 %+v)", tt.raw, got, got.s3, tt.want, tt.want.s3)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		raw  string
		env  func(string) string
		want string
	}{
		{"", creds, "empty"},
		{"ftp://host/x", creds, `unknown scheme "ftp"`},
		{"file://host/x", creds, "three slashes"},
		{"file:///x?mode=ro", creds, "no query"},
		{"s3:///prefix", creds, "missing bucket"},
		{"s3://b?endpoint=h:1&colour=red", creds, `unknown query parameter "colour"`},
		{"s3://b?secure=maybe", creds, "not true or false"},
		{"s3://b?endpoint=http://h:1", creds, "without scheme"},
		{"s3://b?region=a&region=b", creds, "given 2 times"},
		{"s3://b", envOf(nil), "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"},
		{"s3://b", envOf(map[string]string{EnvAccessKey: "id"}), "missing S3 credentials"},
		{"s3://AKID:hunter2@b", creds, "credentials in the URL are not accepted"},
	}
	for _, tt := range tests {
		_, err := parse(tt.raw, tt.env)
		if err == nil {
			t.Errorf("parse %q succeeded, want an error mentioning %q", tt.raw, tt.want)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, tt.want) || !strings.Contains(msg, "accepted forms: ") {
			t.Errorf("parse %q = %q, want it to mention %q and list the accepted forms", tt.raw, msg, tt.want)
		}
		if strings.Contains(msg, "hunter2") || strings.Contains(msg, "s3cr3t-value") {
			t.Errorf("parse %q error reveals a secret: %q", tt.raw, msg)
		}
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/srv/archive", "/srv/archive"},
		{"s3://b/p?endpoint=h%3A1&secure=false", "s3://b/p?endpoint=h%3A1&secure=false"},
		{"s3://AKID:hunter2@b/p", "s3://REDACTED@b/p"},
		{"s3://b?endpoint=h&secret_key=hunter2&X-Amz-Signature=abc", "s3://b?X-Amz-Signature=REDACTED&endpoint=h&secret_key=REDACTED"},
		{"s3://b\x7f:hunter2@x", "s3://REDACTED"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestOpenLocalRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "archive dir")
	st, err := Open(context.Background(), dir, creds)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Open(context.Background(), st.Location(), creds)
	if err != nil {
		t.Fatalf("open own location %q: %v", st.Location(), err)
	}
	if again.Location() != st.Location() {
		t.Fatalf("reopened location %q, want %q", again.Location(), st.Location())
	}
	if err := st.Put(context.Background(), "k", strings.NewReader("v"), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := again.Stat(context.Background(), "k"); err != nil {
		t.Fatalf("object put through one opening not seen through the other: %v", err)
	}
}

func TestOpenS3RoundTrip(t *testing.T) {
	srv := miniotest.Start(t)
	env := envOf(map[string]string{EnvAccessKey: srv.AccessKey, EnvSecretKey: srv.SecretKey})
	raw := "s3://located/some/prefix?endpoint=" + srv.Endpoint + "&secure=false"
	st, err := Open(context.Background(), raw, env)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	again, err := Open(context.Background(), st.Location(), env)
	if err != nil {
		t.Fatalf("open own location %q: %v", st.Location(), err)
	}
	defer again.Close()
	if again.Location() != st.Location() || strings.Contains(st.Location(), srv.SecretKey) {
		t.Fatalf("locations %q and %q: want equal and without the secret", st.Location(), again.Location())
	}
	if err := st.Put(context.Background(), "k", strings.NewReader("v"), 1); err != nil {
		t.Fatal(err)
	}
	if _, err := again.Stat(context.Background(), "k"); err != nil {
		t.Fatalf("object put through one opening not seen through the other: %v", err)
	}
}
