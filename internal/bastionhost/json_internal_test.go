package bastionhost

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

// checkGrantHostsJSON: the hand-written JSON of a ListHostsFor* response is
// what encoding/json renders from its tags (HTML characters not escaped, as
// the envelope encodes), field by field and byte for byte.
func checkGrantHostsJSON(t *testing.T, r listGrantHostsResponse) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		t.Fatal(err)
	}
	want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	want = want[1 : len(want)-1] // the fields, without the braces
	if got := r.AppendJSONFields([]byte("x")); !bytes.Equal(got, append([]byte("x"), want...)) {
		t.Errorf("AppendJSONFields = %s\nwant x%s", got, want)
	}
}

func TestGrantHostsJSON(t *testing.T) {
	checkGrantHostsJSON(t, listGrantHostsResponse{})
	checkGrantHostsJSON(t, listGrantHostsResponse{TotalCount: -7, Hosts: []grantHostItem{}})
	checkGrantHostsJSON(t, listGrantHostsResponse{TotalCount: 25, Hosts: []grantHostItem{
		{HostID: "1", HostName: "web-1", OSType: "Linux", ActiveAddressType: "Private", HostPrivateAddress: "172.16.0.1"},
		{HostID: "2", HostName: `a "<b>" & \ c`, Comment: "中文\n\t\x00\u2028\xff", OSType: "Windows", ActiveAddressType: "Public",
			HostPublicAddress: "47.0.0.1", HostPrivateAddress: ""},
	}})
}

func FuzzGrantHostsJSON(f *testing.F) {
	f.Add(int32(1), "1", "web", "", "Linux", "Private", "", "10.0.0.1")
	f.Add(int32(-1), "\xff", `"<&>"`, "\u2028", "\x00", "\n", "é", "\\")
	f.Fuzz(func(t *testing.T, total int32, id, name, comment, os, active, public, private string) {
		h := grantHostItem{HostID: id, HostName: name, Comment: comment, OSType: os, ActiveAddressType: active,
			HostPublicAddress: public, HostPrivateAddress: private}
		checkGrantHostsJSON(t, listGrantHostsResponse{TotalCount: total, Hosts: []grantHostItem{h, h}})
	})
}

// BenchmarkGrantHostsJSON renders a page of 20 hosts by hand and with
// encoding/json (what the envelope did before).
func BenchmarkGrantHostsJSON(b *testing.B) {
	r := listGrantHostsResponse{TotalCount: 25}
	for i := range 20 {
		r.Hosts = append(r.Hosts, grantHostItem{HostID: fmt.Sprint(i + 1), HostName: fmt.Sprintf("host-%d", i), OSType: "Linux",
			ActiveAddressType: "Private", HostPrivateAddress: fmt.Sprintf("172.16.0.%d", i)})
	}
	b.Run("AppendJSONFields", func(b *testing.B) {
		buf := make([]byte, 0, 4096)
		b.ReportAllocs()
		for b.Loop() {
			buf = r.AppendJSONFields(buf[:0])
		}
	})
	b.Run("encoding/json", func(b *testing.B) {
		var buf bytes.Buffer
		b.ReportAllocs()
		for b.Loop() {
			buf.Reset()
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			if err := enc.Encode(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}
