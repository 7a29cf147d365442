package bastionhost

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"testing"

	"github.com/localyun/localyun"
)

// checkGrantHostsJSON: the hand-written JSON of a ListHostsFor* response is
// what encoding/json renders from the tags of its wire form (HTML
// characters not escaped, as the envelope encodes), field by field and
// byte for byte.
func checkGrantHostsJSON(t *testing.T, r listGrantHostsResponse) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r.wire()); err != nil {
		t.Fatal(err)
	}
	want := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	want = want[1 : len(want)-1] // the fields, without the braces
	if got := r.AppendJSONFields([]byte("x")); !bytes.Equal(got, append([]byte("x"), want...)) {
		t.Errorf("AppendJSONFields = %s\nwant x%s", got, want)
	}
}

// TestGrantHostsXML: the XML of a ListHostsFor* response is its wire form's.
func TestGrantHostsXML(t *testing.T) {
	r := listGrantHostsResponse{total: 2, hosts: []localyun.BastionHost{{ID: "1", Name: "a<b", OSType: "Linux"}, {ID: "2", Comment: "c&d"}}}
	for _, v := range []listGrantHostsResponse{r, {}} {
		got, err := xml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := xml.Marshal(v.wire())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, bytes.ReplaceAll(want, []byte("grantHostsWire"), []byte("listGrantHostsResponse"))) {
			t.Errorf("xml.Marshal = %s\nwire form %s", got, want)
		}
	}
}

func TestGrantHostsJSON(t *testing.T) {
	checkGrantHostsJSON(t, listGrantHostsResponse{})
	checkGrantHostsJSON(t, listGrantHostsResponse{total: -7, hosts: []localyun.BastionHost{}})
	checkGrantHostsJSON(t, listGrantHostsResponse{total: 1 << 40}) // TotalCount is an int32 on the wire
	checkGrantHostsJSON(t, listGrantHostsResponse{total: 25, hosts: []localyun.BastionHost{
		{ID: "1", Name: "web-1", OSType: "Linux", ActiveAddressType: "Private", PrivateAddress: "172.16.0.1", Source: "Local"},
		{ID: "2", Name: `a "<b>" & \ c`, Comment: "中文\n\t\x00\u2028\xff", OSType: "Windows", ActiveAddressType: "Public",
			PublicAddress: "47.0.0.1", PrivateAddress: ""},
	}})
}

func FuzzGrantHostsJSON(f *testing.F) {
	f.Add(1, "1", "web", "", "Linux", "Private", "", "10.0.0.1")
	f.Add(-1, "\xff", `"<&>"`, "\u2028", "\x00", "\n", "é", "\\")
	f.Fuzz(func(t *testing.T, total int, id, name, comment, os, active, public, private string) {
		h := localyun.BastionHost{ID: id, Name: name, Comment: comment, OSType: os, ActiveAddressType: active,
			PublicAddress: public, PrivateAddress: private}
		checkGrantHostsJSON(t, listGrantHostsResponse{total: total, hosts: []localyun.BastionHost{h, h}})
	})
}

// BenchmarkGrantHostsJSON renders a page of 20 hosts by hand and with
// encoding/json (what the envelope did before).
func BenchmarkGrantHostsJSON(b *testing.B) {
	r := listGrantHostsResponse{total: 25}
	for i := range 20 {
		r.hosts = append(r.hosts, localyun.BastionHost{ID: fmt.Sprint(i + 1), Name: fmt.Sprintf("host-%d", i), OSType: "Linux",
			ActiveAddressType: "Private", PrivateAddress: fmt.Sprintf("172.16.0.%d", i)})
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
			if err := enc.Encode(r.wire()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
