package server_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkHotPath is the read path every request pays, in process: the
// two reads of the issue-12 goals, each request signed with a fresh nonce
// ahead of time (batches of 1,024 outside the timer), so that ns/op and
// allocs/op are the server's alone.
func BenchmarkHotPath(b *testing.B) {
	srv := benchServer(b)
	cases := []struct {
		name string
		sign func(i int) string
		want string
	}{
		{"DescribeInstanceRamRole", func(i int) string {
			return signed("DescribeInstanceRamRole", "InstanceIds", `["i-bench`+strconv.Itoa(100000+i%1000)+`"]`)
		}, `"TotalCount":1,`},
		{"ListHostsForUserGroup", func(int) string {
			return signed("ListHostsForUserGroup", "Version", "2019-12-09", "InstanceId", "bastionhost-cn-bench", "UserGroupId", "1",
				"PageNumber", "1", "PageSize", "20")
		}, `"TotalCount":25,`},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var targets []string
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if i == len(targets) {
					b.StopTimer()
					targets, i = targets[:0], 0
					for j := 0; j < 1024; j++ {
						targets = append(targets, c.sign(j))
					}
					b.StartTimer()
				}
				w := httptest.NewRecorder()
				srv.ServeHTTP(w, httptest.NewRequest(http.MethodPost, targets[i], http.NoBody))
				if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), c.want) {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
				i++
			}
		})
	}
}
