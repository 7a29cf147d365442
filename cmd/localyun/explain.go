package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/localyun/localyun/internal/explain"
	"github.com/localyun/localyun/internal/protocol"
)

// explainUsage is the usage line of `localyun explain`.
const explainUsage = `localyun explain access|instance|host|user|decode [flags]

  access   --user NAME | --role NAME [--session NAME] --action SERVICE:ACTION [--resource ARN]
           [--ram-role NAME] [--source-ip IP] [--secure-transport true|false] [--current-time RFC3339]
  instance --instance i-... [--region cn-hangzhou]
  host     --instance bastionhost-... --host ID [--account-id ID | --account-name NAME] [--region R]
  user     --instance bastionhost-... --user-id ID [--region R]   (a bastion user)
           --ram-user NAME                                       (a RAM user)
  decode   ENCODED-DIAGNOSTIC-MESSAGE (or - to read it from stdin)

Every subcommand takes --endpoint, --access-key-id, --access-key-secret, --security-token,
--data-dir and --json (see localyun explain <subcommand> --help).`

// explainClient calls the Localyun and RAM actions of a running server,
// signing V1 requests with protocol's signer.
type explainClient struct {
	endpoint           string // scheme://host:port
	keyID, secret, sts string
	http               *http.Client
}

// explainCommand is `localyun explain`: a client of the running server's
// Localyun API (and RAM DecodeDiagnosticMessage) that prints the answer as
// text, or as the JSON the server sent with --json.
func explainCommand(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		if len(args) == 0 {
			return usageError("usage: " + explainUsage)
		}
		fmt.Fprintln(stdout, "usage: "+explainUsage)
		return nil
	}
	sub := args[0]
	fs := flag.NewFlagSet("explain "+sub, flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := DefaultConfig()
	endpoint := fs.String("endpoint", "", "the server: http(s)://host:port (env LOCALYUN_ENDPOINT); default http://"+clientAddr(def.Addr))
	keyID := fs.String("access-key-id", "", "AccessKey id (env ALIBABA_CLOUD_ACCESS_KEY_ID; default: <data-dir>/credentials)")
	secret := fs.String("access-key-secret", "", "AccessKey secret (env ALIBABA_CLOUD_ACCESS_KEY_SECRET)")
	token := fs.String("security-token", "", "SecurityToken of STS credentials (env ALIBABA_CLOUD_SECURITY_TOKEN)")
	dataDir := fs.String("data-dir", def.DataDir, "the server's data directory, holding the generated credentials (env LOCALYUN_DATA_DIR)")
	asJSON := fs.Bool("json", false, "print the server's JSON answer")
	params, err := explainParams(sub, fs, args[1:])
	if err != nil {
		return err
	}
	c, err := newExplainClient(getenv, *endpoint, *keyID, *secret, *token, *dataDir)
	if err != nil {
		return err
	}
	version, action := "2026-11-30", map[string]string{"access": "ExplainAccess", "instance": "ExplainInstance",
		"host": "ExplainHostAccess", "user": "ExplainUserAccess"}[sub]
	if sub == "decode" {
		version, action = "2015-05-01", "DecodeDiagnosticMessage"
		if params["EncodedDiagnosticMessage"] == "-" {
			b, err := io.ReadAll(io.LimitReader(stdin, 1<<20))
			if err != nil {
				return fmt.Errorf("explain decode: read stdin: %w", err)
			}
			params["EncodedDiagnosticMessage"] = strings.TrimSpace(string(b))
		}
	}
	body, err := c.call(ctx, version, action, params)
	if err != nil {
		return err
	}
	if *asJSON {
		var out bytes.Buffer
		json.Indent(&out, body, "", "  ")
		fmt.Fprintln(stdout, out.String())
		return nil
	}
	return explain.WriteText(stdout, action, body)
}

// explainParams parses a subcommand's flags into the action's parameters.
func explainParams(sub string, fs *flag.FlagSet, args []string) (map[string]string, error) {
	params := map[string]string{}
	str := func(name, param, usage string) {
		fs.Func(name, usage, func(v string) error { params[param] = v; return nil })
	}
	var required [][2]string // parameter, the flag that sets it
	switch sub {
	case "access":
		str("user", "UserName", "the RAM user explained")
		str("role", "RoleName", "the RAM role explained (its policies, no session policy)")
		str("session", "SessionName", "with --role: the session name shown")
		str("action", "AuthAction", "the RAM action, e.g. ecs:DetachInstanceRamRole (required)")
		str("resource", "AuthResource", "the resource ARN; default *")
		str("ram-role", "RamRoleName", "the role an ECS role action passes (default: the instance's)")
		str("source-ip", "SourceIp", "acs:SourceIp; default this client's address")
		str("secure-transport", "SecureTransport", "acs:SecureTransport: true or false")
		str("current-time", "CurrentTime", "acs:CurrentTime, e.g. 2026-01-02T15:04:05Z; default now")
		required = [][2]string{{"AuthAction", "action"}}
	case "instance":
		params["RegionId"] = "cn-hangzhou"
		str("region", "RegionId", "the instance's region")
		str("instance", "InstanceId", "the ECS instance id (required)")
		required = [][2]string{{"InstanceId", "instance"}}
	case "host":
		str("instance", "InstanceId", "the bastion instance id (required)")
		str("host", "HostId", "the host id (required)")
		str("account-id", "HostAccountId", "only this host account")
		str("account-name", "HostAccountName", "only host accounts of this name")
		str("region", "RegionId", "the bastion instance's region (default: none sent)")
		required = [][2]string{{"InstanceId", "instance"}, {"HostId", "host"}}
	case "user":
		str("region", "RegionId", "with --user-id: the bastion instance's region (default: none sent)")
		str("instance", "InstanceId", "the bastion instance id (with --user-id)")
		str("user-id", "UserId", "the bastion user id")
		str("ram-user", "UserName", "a RAM user instead: its groups and policies")
	case "decode":
	default:
		return nil, usageError(fmt.Sprintf("explain: unknown subcommand %q\nusage: %s", sub, explainUsage))
	}
	if err := parseFlags(fs, args, "localyun explain "+sub+" [flags]"); err != nil {
		return nil, err
	}
	switch {
	case sub == "decode" && fs.NArg() == 1:
		params["EncodedDiagnosticMessage"] = fs.Arg(0)
	case sub == "decode":
		return nil, usageError("explain decode: want one argument, the EncodedDiagnosticMessage (or -)")
	case fs.NArg() > 0:
		return nil, usageError(fmt.Sprintf("explain %s: unexpected argument %q", sub, fs.Arg(0)))
	}
	for _, r := range required {
		if params[r[0]] == "" {
			return nil, usageError(fmt.Sprintf("explain %s: missing --%s", sub, r[1]))
		}
	}
	return params, nil
}

func newExplainClient(getenv func(string) string, endpoint, keyID, secret, token, dataDir string) (*explainClient, error) {
	pick := func(flagValue, env string) string {
		if flagValue != "" {
			return flagValue
		}
		return getenv(env)
	}
	c := &explainClient{endpoint: pick(endpoint, "LOCALYUN_ENDPOINT"), keyID: pick(keyID, "ALIBABA_CLOUD_ACCESS_KEY_ID"),
		secret: pick(secret, "ALIBABA_CLOUD_ACCESS_KEY_SECRET"), sts: pick(token, "ALIBABA_CLOUD_SECURITY_TOKEN"),
		http: &http.Client{Timeout: 30 * time.Second}}
	if c.endpoint == "" {
		c.endpoint = "http://" + clientAddr(DefaultConfig().Addr)
	}
	if !strings.Contains(c.endpoint, "://") {
		c.endpoint = "http://" + c.endpoint
	}
	if u, err := url.Parse(c.endpoint); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, usageError(fmt.Sprintf("explain: --endpoint %q: want http(s)://host:port", c.endpoint))
	}
	if c.keyID == "" {
		if d := pick("", "LOCALYUN_DATA_DIR"); d != "" && dataDir == DefaultConfig().DataDir {
			dataDir = d
		}
		s, err := loadEnvSettings(DefaultConfig().Addr, "off", dataDir)
		if err != nil {
			return nil, fmt.Errorf("explain: read the credentials: %w", err)
		}
		c.keyID, c.secret = s.keyID, s.keySecret
	}
	if c.keyID == "" || c.secret == "" {
		return nil, usageError("explain: no credentials: set --access-key-id and --access-key-secret, " +
			"ALIBABA_CLOUD_ACCESS_KEY_ID and _SECRET (eval \"$(localyun env)\"), or --data-dir of the server")
	}
	return c, nil
}

// call sends one V1-signed POST of params (RegionId only when they hold
// one) and returns the JSON body of a success, or an error naming the API
// error.
func (c *explainClient) call(ctx context.Context, version, action string, params map[string]string) ([]byte, error) {
	nonce := make([]byte, 16)
	rand.Read(nonce)
	v := url.Values{"AccessKeyId": {c.keyID}, "Action": {action}, "Version": {version}, "Format": {"JSON"},
		"SignatureMethod": {"HMAC-SHA1"}, "SignatureVersion": {"1.0"}, "SignatureNonce": {hex.EncodeToString(nonce)},
		"Timestamp": {time.Now().UTC().Format("2006-01-02T15:04:05Z")}}
	if c.sts != "" {
		v.Set("SecurityToken", c.sts)
	}
	for k, val := range params {
		v.Set(k, val)
	}
	v.Set("Signature", protocol.SignV1(protocol.StringToSignV1(http.MethodPost, v), c.secret))
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.endpoint+"/", strings.NewReader(v.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "localyun-explain/1")
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("explain: the server at %s: %w", c.endpoint, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(io.LimitReader(res.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("explain: read the answer of %s: %w", c.endpoint, err)
	}
	if res.StatusCode != http.StatusOK {
		var e struct{ Code, Message string }
		if json.Unmarshal(body, &e) != nil || e.Code == "" {
			return nil, fmt.Errorf("explain: %s answered %s", c.endpoint, res.Status)
		}
		return nil, fmt.Errorf("explain: %s: %s: %s (HTTP %d)", action, e.Code, e.Message, res.StatusCode)
	}
	return body, nil
}
