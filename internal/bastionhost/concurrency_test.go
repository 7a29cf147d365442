package bastionhost_test

import (
	"fmt"

	"github.com/aliyun/alibaba-cloud-sdk-go/sdk"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/auth/credentials"
	"github.com/aliyun/alibaba-cloud-sdk-go/sdk/requests"
	"strconv"
	"sync"
	"testing"
)

// TestConcurrentModifyUser races ModifyUser calls that each set another
// field of one user: the service reads the user, applies its rules and
// writes it with a compare-and-set, so no call undoes another one's field.
func TestConcurrentModifyUser(t *testing.T) {
	host, root := authzWorld(t)
	const bh = "2019-12-09"
	with := func(kv ...string) map[string]string {
		q := map[string]string{"InstanceId": instHangzhou, "UserId": "1"}
		for i := 0; i+1 < len(kv); i += 2 {
			q[kv[i]] = kv[i+1]
		}
		return q
	}
	if _, err := callV3(root, bh, "CreateUser", map[string]string{"InstanceId": instHangzhou, "UserName": "alice",
		"Source": "Local", "Password": "Passw0rd!x"}); err != nil {
		t.Fatal(err)
	}
	const rounds = 8
	fields := []string{"DisplayName", "Comment", "Email", "Mobile", "EffectiveStartTime", "MobileCountryCode"}
	value := func(param string, round int) string {
		switch param {
		case "DisplayName":
			return "name" + strconv.Itoa(round)
		case "Comment":
			return "comment" + strconv.Itoa(round)
		case "Email":
			return "a" + strconv.Itoa(round) + "@example.com"
		case "Mobile":
			return "1380000000" + strconv.Itoa(round)
		case "EffectiveStartTime":
			return strconv.Itoa(round)
		}
		return []string{"HK", "SG", "US"}[min(round, 2)]
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(fields)*rounds)
	for _, param := range fields {
		wg.Add(1)
		// The writers use the v1 SDK: Tea's dara keeps one http.Client per
		// endpoint for every Tea client and sets its Timeout while other
		// requests read it (a data race inside the SDK).
		c, err := sdk.NewClientWithOptions("cn-hangzhou", sdk.NewConfig(), credentials.NewAccessKeyCredential(seedKey, seedSecret))
		if err != nil {
			t.Fatal(err)
		}
		go func(param string) {
			defer wg.Done()
			for round := 0; round < rounds; round++ {
				req := requests.NewCommonRequest()
				req.Method, req.Scheme, req.Domain = "POST", "http", host
				req.Product, req.Version, req.ApiName = "Yundun-bastionhost", bh, "ModifyUser"
				req.QueryParams = with(param, value(param, round))
				if _, err := c.ProcessCommonRequest(req); err != nil {
					errs <- fmt.Errorf("%s round %d: %w", param, round, err)
				}
			}
		}(param)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	body, err := callV3(root, bh, "GetUser", with())
	if err != nil {
		t.Fatal(err)
	}
	user, _ := body["User"].(map[string]any)
	for _, param := range fields {
		if got, want := fmt.Sprint(user[param]), value(param, rounds-1); got != want {
			t.Errorf("%s = %s, want %s (a concurrent ModifyUser undid it)", param, got, want)
		}
	}
}
