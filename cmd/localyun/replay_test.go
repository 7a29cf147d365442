package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/localyun/localyun/internal/protocol"
)

// signedRAM returns the form body of a V1-signed RAM call by the seed's
// root key, with a fresh nonce: the exact bytes a client sends.
func signedRAM(action string, kv ...string) string {
	var b [16]byte
	rand.Read(b[:])
	v := url.Values{
		"AccessKeyId": {seedKey}, "Action": {action}, "Format": {"JSON"}, "Version": {"2015-05-01"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureNonce": {hex.EncodeToString(b[:])}, "SignatureVersion": {"1.0"},
		"Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	v.Set("Signature", protocol.SignV1(protocol.StringToSignV1(http.MethodPost, v), seedSecret))
	return v.Encode()
}

// post sends body to p and returns the status and the error code ("" on
// success).
func (p *proc) post(t *testing.T, body string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 30 * time.Second} // only against a hang
	res, err := c.Post("http://"+p.addr+"/", "application/x-www-form-urlencoded", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var e struct{ Code string }
	if res.StatusCode != http.StatusOK {
		if err := json.Unmarshal(raw, &e); err != nil {
			t.Fatalf("%d %s", res.StatusCode, raw)
		}
	}
	return res.StatusCode, e.Code
}

// testReplayAfterRestart creates a group, deletes it, stops the server with
// sig, restarts it on the same data and replays the identical CreateGroup:
// it must be refused and the group must stay deleted.
func testReplayAfterRestart(t *testing.T, sig os.Signal) {
	dir, seed := t.TempDir(), mustWriteSeed(t)
	p := mustServe(t, dir, seed)
	create := signedRAM("CreateGroup", "GroupName", "replayed")
	remove := signedRAM("DeleteGroup", "GroupName", "replayed")
	for _, body := range []string{create, remove} {
		if status, code := p.post(t, body); status != http.StatusOK {
			t.Fatalf("%d %s", status, code)
		}
	}
	err := p.stop(t, sig)
	if sig == syscall.SIGTERM && err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, p.stderr)
	}

	p = mustServe(t, dir, seed)
	if status, code := p.post(t, create); status != http.StatusBadRequest || code != "SignatureNonceUsed" {
		t.Errorf("CreateGroup replayed after restart: %d %q, want 400 SignatureNonceUsed", status, code)
	}
	if status, code := p.post(t, signedRAM("GetGroup", "GroupName", "replayed")); status != http.StatusNotFound || code != "EntityNotExist.Group" {
		t.Errorf("GetGroup after the replay: %d %q, want 404 EntityNotExist.Group", status, code)
	}
	if status, code := p.post(t, remove); status != http.StatusBadRequest || code != "SignatureNonceUsed" {
		t.Errorf("DeleteGroup replayed after restart: %d %q, want 400 SignatureNonceUsed", status, code)
	}
	if err := p.stop(t, syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v\n%s", err, p.stderr)
	}
}

func TestReplayRefusedAfterSIGTERM(t *testing.T) { testReplayAfterRestart(t, syscall.SIGTERM) }

func TestReplayRefusedAfterSIGKILL(t *testing.T) { testReplayAfterRestart(t, syscall.SIGKILL) }
