package actiontrail

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

// TestRecordXMLWellFormed: a record whose requestParameters carry names a
// client chose (any bytes an unsigned request may send) still renders as
// well-formed XML that a parser reads back.
func TestRecordXMLWellFormed(t *testing.T) {
	rec := Record{"eventName": "DescribeInstances", "requestParameters": map[string]any{
		"a<b": "1", "1st": "2", "x y": "3", "": "4", "xmlns:evil": "5", "LookupAttribute.1.Key": "User",
	}}
	out, err := xml.Marshal(struct {
		XMLName xml.Name `xml:"LookupEventsResponse"`
		Events  []Record `xml:"Events"`
	}{Events: []Record{rec}})
	if err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(strings.NewReader(string(out)))
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not well-formed: %v\n%s", err, out)
		}
	}
	if !strings.Contains(string(out), "<LookupAttribute.1.Key>User</LookupAttribute.1.Key>") {
		t.Errorf("a valid name was changed:\n%s", out)
	}
}
