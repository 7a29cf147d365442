package console_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	sdkerrors "github.com/aliyun/alibaba-cloud-sdk-go/sdk/errors"
	"github.com/chromedp/chromedp"
)

var update = flag.Bool("update", false, "write the console's screenshots to docs/console/*.png")

// chromiumPath is where Debian's chromium package installs the browser.
const chromiumPath = "/usr/bin/chromium"

// newChromium starts a headless Chromium of its own (a fresh profile) and
// returns a tab's context. Without Chromium the test is skipped, unless
// LOCALYUN_REQUIRE_CHROMIUM is set (CI), where it fails.
func newChromium(t *testing.T) context.Context {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("LOCALYUN_REQUIRE_CHROMIUM") != "" {
			t.Fatalf("LOCALYUN_REQUIRE_CHROMIUM is set but %s is missing: %v", chromiumPath, err)
		}
		t.Skipf("no Chromium at %s (apt-get install chromium); set LOCALYUN_REQUIRE_CHROMIUM=1 to fail instead", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Flag("headless", true), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true), chromedp.NoFirstRun, chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browser, cancelTab := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(browser); err != nil { // starts the browser, without a timeout (see chromedp.Run)
		t.Fatalf("start Chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(browser, 90*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

// signInTab signs in through the form in the tab.
func signInTab(t *testing.T, ctx context.Context, w *world, key, secret string) {
	t.Helper()
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.srv.URL+signInPath),
		chromedp.SendKeys(chromedp.CSS(`input[name="AccessKeyId"]`), key),
		chromedp.SendKeys(chromedp.CSS(`input[name="AccessKeySecret"]`), secret),
		chromedp.Click(chromedp.CSS(`form button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#instances`)),
	)
	if err != nil {
		t.Fatalf("sign in: %v", err)
	}
}

// trailServed reports whether the server serves ActionTrail LookupEvents
// (the audit branch of issue 16): false only for InvalidVersion or
// InvalidAction.NotFound.
func trailServed(t *testing.T, w *world) bool {
	_, err := w.sdkTry("Actiontrail", "2020-07-06", "LookupEvents", map[string]string{})
	var se *sdkerrors.ServerError
	if errors.As(err, &se) && (se.ErrorCode() == "InvalidVersion" || se.ErrorCode() == "InvalidAction.NotFound") {
		return false
	}
	if err != nil {
		t.Fatalf("LookupEvents: %v", err)
	}
	return true
}

// TestBrowser drives the console in a real headless Chromium against a
// real server: sign in through the form, detach the instance's role from
// the instances page, detach a host account from a user group on the
// grant page (both checked with the official SDK), and see the
// DetachInstanceRamRole event arrive in the live audit stream opened
// before the change (that last step runs when the server serves
// ActionTrail, and is skipped with a log line otherwise).
func TestBrowser(t *testing.T) {
	w := newWorld(t, true)
	ctx := newChromium(t)
	signInTab(t, ctx, w, rootKey, rootSecret)

	served := trailServed(t, w)
	var events context.Context
	if served {
		var cancel context.CancelFunc
		events, cancel = chromedp.NewContext(ctx) // a second tab, the same cookies
		defer cancel()
		if err := chromedp.Do(events, chromedp.Navigate(w.srv.URL+"/console/events"),
			waitText(`#live-status`, "Live")); err != nil {
			t.Fatalf("events page: %v", err)
		}
	} else {
		t.Log("ActionTrail LookupEvents is not served: the live-stream step is skipped")
	}

	row := `tr[data-instance="` + instanceID + `"]`
	err := chromedp.Do(ctx,
		chromedp.Navigate(w.srv.URL+instancesURL+"?region="+region),
		chromedp.Click(chromedp.CSS(row+` button[name="detach"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
	)
	if err != nil {
		t.Fatalf("detach the role: %v", err)
	}
	role, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(row+` td.role`)))
	if err != nil {
		t.Fatalf("detach the role: %v", err)
	}
	if strings.TrimSpace(role) != "none" {
		t.Fatalf("the instance page shows role %q after the detach", role)
	}
	if got := w.roleOfInstance(); got != "" {
		t.Fatalf("DescribeInstanceRamRole: role %q after the detach", got)
	}

	account := `li[data-account="` + w.hostAccountID + `"]`
	err = chromedp.Do(ctx,
		chromedp.Navigate(w.srv.URL+"/console/bastion/"+bastionID+"/grants?group="+w.userGroupID),
		chromedp.Click(chromedp.CSS(account+` button[value="detach-account"]`)),
		chromedp.WaitVisible(chromedp.CSS(`.flash.ok`)),
		chromedp.WaitVisible(chromedp.CSS(account+` button[value="attach-account"]`)),
	)
	if err != nil {
		t.Fatalf("detach the host account: %v", err)
	}
	if w.groupHoldsAccount() {
		t.Fatal("ListHostAccountsForUserGroup: the group still holds the account")
	}

	if served {
		if err := chromedp.Do(events, waitText(`#events tbody tr.live-event`, "DetachInstanceRamRole")); err != nil {
			t.Fatalf("the live stream never showed DetachInstanceRamRole: %v", err)
		}
	}
}

// waitText waits until an element matching sel holds text.
func waitText(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Poll[chromedp.Void](`Array.from(document.querySelectorAll(`+jsString(sel)+`)).some(e => e.textContent.includes(`+jsString(text)+`))`,
		chromedp.WithPollingInterval(100*time.Millisecond))
}

func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}

// TestScreenshots writes the README's screenshots of the main pages to
// docs/console/*.png with -update: go test ./internal/console -run Screenshots -update
func TestScreenshots(t *testing.T) {
	if !*update {
		t.Skip("run with -update to write docs/console/*.png")
	}
	w := newWorld(t, true)
	ctx := newChromium(t)
	dir := filepath.Join("..", "..", "docs", "console")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot := func(name, path string, ready chromedp.Action[chromedp.Void]) {
		if err := chromedp.Do(ctx, chromedp.Navigate(w.srv.URL+path), ready, chromedp.Sleep(300*time.Millisecond)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	shot("signin", signInPath, chromedp.WaitVisible(chromedp.CSS(`form`)))
	signInTab(t, ctx, w, rootKey, rootSecret)
	w.sdkCall("Ecs", ecsVersion, "DetachInstanceRamRole", map[string]string{"RegionId": region, "InstanceIds": `["` + instanceID + `"]`})
	w.sdkCall("Ecs", ecsVersion, "AttachInstanceRamRole", map[string]string{"RegionId": region, "InstanceIds": `["` + instanceID + `"]`,
		"RamRoleName": roleName})
	shot("instances", instancesURL+"?region="+region, chromedp.WaitVisible(chromedp.CSS(`#instances`)))
	shot("bastion", "/console/bastion/"+bastionID, chromedp.WaitVisible(chromedp.CSS(`main table`)))
	shot("grants", "/console/bastion/"+bastionID+"/grants?group="+w.userGroupID, chromedp.WaitVisible(chromedp.CSS(`#granted-hosts`)))
	shot("events", "/console/events", chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	shot("explain", "/console/explain?action=ExplainAccess&UserName="+viewerName+"&AuthAction=ecs:DetachInstanceRamRole"+
		"&AuthResource=acs:ecs:"+region+":"+account+":instance/"+instanceID, chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	shot("explain-user", "/console/explain?action=ExplainUserAccess&InstanceId="+bastionID+"&UserId="+w.userID,
		chromedp.WaitVisible(chromedp.CSS(`main h1`)))
}
