package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"github.com/jonboulle/clockwork"

	"gorm.io/gorm"

	"pretix-hubspot/apperr"
	"pretix-hubspot/datasync"
	"pretix-hubspot/models"
	"pretix-hubspot/secret"
)

// mailbox is an in-test SMTP server that wants a login and keeps what it
// receives.
type mailbox struct {
	mu    sync.Mutex
	mails []string // raw messages
	rcpts [][]string
	addr  string
}

type mailSession struct {
	mb    *mailbox
	authd bool
	to    []string
}

func (mb *mailbox) NewSession(*smtp.Conn) (smtp.Session, error) { return &mailSession{mb: mb}, nil }

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }
func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "alerts" || pass != "s3cret-pass" {
			return errors.New("invalid credentials")
		}
		s.authd = true
		return nil
	}), nil
}
func (s *mailSession) Mail(string, *smtp.MailOptions) error {
	if !s.authd {
		return &smtp.SMTPError{Code: 530, Message: "Authentication required"}
	}
	return nil
}
func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error { s.to = append(s.to, to); return nil }
func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.mb.mu.Lock()
	s.mb.mails = append(s.mb.mails, string(b))
	s.mb.rcpts = append(s.mb.rcpts, s.to)
	s.mb.mu.Unlock()
	return err
}
func (s *mailSession) Reset()        { s.to = nil }
func (s *mailSession) Logout() error { return nil }

// received returns the messages as people read them: the decoded
// subject, a blank line, the decoded body.
func (mb *mailbox) received() []string {
	mb.mu.Lock()
	defer mb.mu.Unlock()
	out := make([]string, 0, len(mb.mails))
	for _, raw := range mb.mails {
		m, err := mail.ReadMessage(strings.NewReader(raw))
		if err != nil {
			out = append(out, "unreadable: "+err.Error())
			continue
		}
		subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
		var body []byte
		if strings.EqualFold(m.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			body, _ = io.ReadAll(quotedprintable.NewReader(m.Body))
		} else {
			body, _ = io.ReadAll(m.Body)
		}
		out = append(out, "Subject: "+subject+"\n\n"+string(body))
	}
	return out
}

func startMailbox(t *testing.T) *mailbox {
	mb := &mailbox{}
	srv := smtp.NewServer(mb)
	srv.Domain, srv.AllowInsecureAuth = "mail.test", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	mb.addr = ln.Addr().String()
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return mb
}

// hook is an in-test webhook receiver; fail makes it answer 500.
type hook struct {
	mu     sync.Mutex
	bodies []map[string]any
	fail   bool
	srv    *httptest.Server
}

func startHook(t *testing.T) *hook {
	h := &hook{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		defer h.mu.Unlock()
		if h.fail {
			http.Error(w, "receiver down", http.StatusInternalServerError)
			return
		}
		var b map[string]any
		if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&b) != nil {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		h.bodies = append(h.bodies, b)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) received() []map[string]any {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]map[string]any{}, h.bodies...)
}

func (h *hook) setFail(v bool) { h.mu.Lock(); h.fail = v; h.mu.Unlock() }

func setup(t *testing.T, probes ...Probe) (*Service, *mailbox, *hook, *gorm.DB) {
	t.Helper()
	db, err := models.Open(filepath.Join(t.TempDir(), "db.sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { models.Close(db) })
	box, err := secret.NewBox(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	clock := clockwork.NewFakeClockAt(time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC))
	svc := New(Options{DB: db, Box: box, Clock: clock, BaseURL: "https://sync.example.org/", Probes: probes})
	mb, hk := startMailbox(t), startHook(t)
	host, port, _ := net.SplitHostPort(mb.addr)
	p, _ := strconv.Atoi(port)
	if _, err := svc.Save(context.Background(), Input{SMTPHost: host, SMTPPort: p, SMTPSecurity: SecurityNone, SMTPUsername: "alerts",
		SMTPPassword: "s3cret-pass", MailFrom: "alerts@example.org", MailTo: []string{"ops@example.org, crm@example.org"}, WebhookURL: hk.srv.URL}); err != nil {
		t.Fatal(err)
	}
	return svc, mb, hk, db
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// An event's first sync problem is announced once by e-mail and webhook,
// however many orders fail after it and however often the check runs; so
// is its recovery once every problem is solved.
func TestProblemsAreAnnouncedOncePerChange(t *testing.T) {
	var status *datasync.Status
	svc, mb, hk, db := setup(t, ProblemsProbe(problemsOf(func() *datasync.Status { return status })))
	clock := clockwork.NewRealClock()
	status = datasync.NewStatus(db, datasync.NewQueue(db, clock, datasync.DefaultRetryPolicy, nil), clock, nil, nil)
	ctx := context.Background()
	now := time.Date(2026, 12, 4, 9, 0, 0, 0, time.UTC)
	must(t, db.Exec(`INSERT INTO pretix_organizers (id, base_url, slug, name, webhook_secret_hash, created_at, updated_at) VALUES (1, 'https://pretix.example/api/v1/', 'democon', 'DemoCon Events', 'x', ?, ?)`, now, now).Error)
	must(t, db.Exec(`INSERT INTO pretix_events (id, organizer_id, slug, name_json, created_at, updated_at, refreshed_at) VALUES (7, 1, 'conf2026', '{"en":"DemoCon 2026"}', ?, ?, ?)`, now, now, now).Error)
	fail := func(orderID int64) {
		must(t, db.Create(&models.PretixOrder{ID: orderID, OrganizerID: 1, EventID: 7, EventSlug: "conf2026", Code: "C" + strconv.FormatInt(orderID, 10),
			Status: "p", Datetime: now, LastModified: now, Total: "10.00", RawJSON: "{}", FirstSeenAt: now, UpdatedAt: now}).Error)
		must(t, db.Exec(`INSERT INTO sync_jobs (order_id, event_id, provider, triggered_by, triggered_at, not_before, attempts, state, failure_mode, last_error, updated_at)
			VALUES (?, 7, 'hubspot', 'bulk', ?, ?, 1, 'failed', 'permanent', 'Property "diets" has no option "vegan"', ?)`, orderID, now, now, now).Error)
	}

	must(t, svc.Check(ctx)) // nothing holds: nothing is sent
	if len(mb.received()) != 0 || len(hk.received()) != 0 {
		t.Fatal("an alert without a problem")
	}
	fail(1)
	must(t, svc.Check(ctx))
	for i := int64(2); i <= 40; i++ {
		fail(i)
	}
	must(t, svc.Check(ctx))
	must(t, svc.Check(ctx))
	mails, hooks := mb.received(), hk.received()
	if len(mails) != 1 || len(hooks) != 1 {
		t.Fatalf("%d mails and %d webhook posts after the first problem and 39 more; want one each", len(mails), len(hooks))
	}
	for _, want := range []string{"Subject: [pretix → HubSpot] Sync problems in DemoCon 2026 (DemoCon Events)", "1 order of DemoCon 2026",
		"https://sync.example.org/organizers/democon/events/conf2026/sync-problems", "no option"} {
		if !strings.Contains(mails[0], want) {
			t.Errorf("the mail lacks %q:\n%s", want, mails[0])
		}
	}
	if got := mb.rcpts[0]; len(got) != 2 || got[0] != "ops@example.org" || got[1] != "crm@example.org" {
		t.Errorf("recipients %v", got)
	}
	text, _ := hooks[0]["text"].(string)
	alert, _ := hooks[0]["alert"].(map[string]any)
	if !strings.HasPrefix(text, "*Sync problems in DemoCon 2026 (DemoCon Events)*\n") || alert["kind"] != KindProblems || alert["state"] != "raised" {
		t.Errorf("webhook body %v", hooks[0])
	}

	// Solved: retried with success, so the jobs are gone.
	must(t, db.Exec(`DELETE FROM sync_jobs`).Error)
	must(t, svc.Check(ctx))
	must(t, svc.Check(ctx))
	mails, hooks = mb.received(), hk.received()
	if len(mails) != 2 || len(hooks) != 2 {
		t.Fatalf("%d mails and %d posts after recovery; want one more each", len(mails), len(hooks))
	}
	if !strings.Contains(mails[1], "Sync problems solved: DemoCon 2026 (DemoCon Events)") || hooks[1]["alert"].(map[string]any)["state"] != "cleared" {
		t.Errorf("recovery mail %s / post %v", mails[1], hooks[1])
	}
}

func problemsOf(f func() *datasync.Status) ProblemSource { return lazyProblems(f) }

type lazyProblems func() *datasync.Status

func (l lazyProblems) ProblemEvents(ctx context.Context) ([]datasync.ProblemEvent, error) {
	return l().ProblemEvents(ctx)
}

// stubProbe holds whatever the test says holds.
type stubProbe struct {
	mu    sync.Mutex
	conds []Condition
}

func (s *stubProbe) set(c ...Condition) { s.mu.Lock(); s.conds = c; s.mu.Unlock() }
func (s *stubProbe) probe(kind string) Probe {
	return Probe{Kind: kind, List: func(context.Context) ([]Condition, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		return append([]Condition{}, s.conds...), nil
	}}
}

// A change is kept until some channel took it: with every channel down
// nothing is recorded and the next check sends it; with one channel down
// the other's delivery counts, and the failure shows on the settings page.
func TestADeliveryThatFailsEverywhereIsSentLater(t *testing.T) {
	stub := &stubProbe{}
	svc, mb, hk, db := setup(t, stub.probe(KindReconnect))
	ctx := context.Background()
	must(t, db.Model(&models.AlertSettings{}).Where("id = 1").Update("smtp_username", "wrong").Error)
	hk.setFail(true)
	stub.set(Condition{Key: "reconnect:hub:42", Kind: KindReconnect, Label: "HubSpot account 42", Subject: "HubSpot account 42 needs reconnecting", Body: "Revoked."})
	must(t, svc.Check(ctx))
	if len(mb.received())+len(hk.received()) != 0 {
		t.Fatal("delivered although both channels fail")
	}
	st, err := svc.Settings(ctx)
	must(t, err)
	if !strings.Contains(st.LastError, "did not take the message") && !strings.Contains(st.LastError, "answered 500") {
		t.Errorf("last error %q", st.LastError)
	}
	var n int64
	db.Model(&models.AlertState{}).Count(&n)
	if n != 0 {
		t.Fatalf("%d states recorded for an undelivered change", n)
	}

	hk.setFail(false) // the webhook is back, the mail login still wrong
	must(t, svc.Check(ctx))
	must(t, svc.Check(ctx))
	if got := hk.received(); len(got) != 1 || len(mb.received()) != 0 {
		t.Fatalf("%d posts, %d mails; want the one post", len(got), len(mb.received()))
	}
	if st, _ := svc.Settings(ctx); !strings.HasPrefix(st.LastError, "E-mail:") {
		t.Errorf("the mail failure is not shown: %q", st.LastError)
	}
}

func TestSettingsAreValidatedAndThePasswordNeverShown(t *testing.T) {
	svc, _, hk, db := setup(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		in    Input
		field string
	}{
		{"host with port", Input{SMTPHost: "smtp.example.org:587", MailFrom: "a@example.org", MailTo: []string{"b@example.org"}}, "smtp_host"},
		{"port out of range", Input{SMTPHost: "smtp.example.org", SMTPPort: 70000, MailFrom: "a@example.org", MailTo: []string{"b@example.org"}}, "smtp_port"},
		{"unknown security", Input{SMTPHost: "smtp.example.org", SMTPSecurity: "ssl3", MailFrom: "a@example.org", MailTo: []string{"b@example.org"}}, "smtp_security"},
		{"no recipient", Input{SMTPHost: "smtp.example.org", MailFrom: "a@example.org"}, "mail_to"},
		{"bad recipient", Input{SMTPHost: "smtp.example.org", MailFrom: "a@example.org", MailTo: []string{"ops at example"}}, "mail_to"},
		{"no sender", Input{SMTPHost: "smtp.example.org", MailTo: []string{"b@example.org"}}, "mail_from"},
		{"webhook not a URL", Input{WebhookURL: "hooks.slack.com/x"}, "webhook_url"},
		{"webhook ftp", Input{WebhookURL: "ftp://example.org/x"}, "webhook_url"},
	} {
		_, err := svc.Save(ctx, tc.in)
		ae, ok := apperr.As(err)
		if !ok || ae.Code != "alerts_invalid" || ae.Fields[tc.field] == "" {
			t.Errorf("%s: %v, want a message on %s", tc.name, err, tc.field)
		}
	}
	st, err := svc.Settings(ctx)
	must(t, err)
	b, _ := json.Marshal(st)
	if strings.Contains(string(b), "s3cret-pass") || !st.PasswordSet || !st.EmailOn || !st.WebhookOn {
		t.Errorf("settings %s", b)
	}
	var m models.AlertSettings
	must(t, db.Take(&m).Error)
	if m.SMTPPasswordSealed == "" || strings.Contains(m.SMTPPasswordSealed, "s3cret-pass") {
		t.Errorf("the password is not sealed: %q", m.SMTPPasswordSealed)
	}
	// Saving without a password keeps it; the test mail still logs in.
	in := Input{SMTPHost: m.SMTPHost, SMTPPort: m.SMTPPort, SMTPSecurity: m.SMTPSecurity, SMTPUsername: "alerts", MailFrom: m.MailFrom,
		MailTo: []string{m.MailTo}, WebhookURL: hk.srv.URL}
	_, err = svc.Save(ctx, in)
	must(t, err)
	must(t, svc.SendTest(ctx, ChannelEmail))
	must(t, svc.SendTest(ctx, ChannelWebhook))
	if got := hk.received(); len(got) != 1 || got[0]["alert"].(map[string]any)["kind"] != KindTest {
		t.Errorf("test post %v", got)
	}
	hk.setFail(true)
	if err := svc.SendTest(ctx, ChannelWebhook); err == nil || !strings.Contains(err.Error(), "answered 500") {
		t.Errorf("a failing test: %v", err)
	}
	in.WebhookURL = ""
	_, err = svc.Save(ctx, in)
	must(t, err)
	if ae, _ := apperr.As(svc.SendTest(ctx, ChannelWebhook)); ae == nil || ae.Code != "alerts_webhook_off" {
		t.Errorf("test without a webhook: %v", ae)
	}
}

// Without a channel, changes are recorded silently: configuring one later
// does not replay what happened before, only what changes from then on.
func TestWithoutAChannelChangesAreRecordedSilently(t *testing.T) {
	stub := &stubProbe{}
	svc, mb, hk, db := setup(t, stub.probe(KindDailyLimit))
	ctx := context.Background()
	_, err := svc.Save(ctx, Input{})
	must(t, err)
	stub.set(Condition{Key: "daily:hub:7", Kind: KindDailyLimit, Label: "HubSpot account 7", Subject: "HubSpot account 7 reached its daily API limit"})
	must(t, svc.Check(ctx))
	var st models.AlertState
	must(t, db.Take(&st, "key = ?", "daily:hub:7").Error)
	if !st.Active {
		t.Fatal("the condition was not recorded")
	}
	_, err = svc.Save(ctx, Input{WebhookURL: hk.srv.URL})
	must(t, err)
	must(t, svc.Check(ctx))
	if len(hk.received())+len(mb.received()) != 0 {
		t.Fatal("an old condition was announced when a channel was added")
	}
	stub.set()
	must(t, svc.Check(ctx))
	if got := hk.received(); len(got) != 1 || got[0]["alert"].(map[string]any)["state"] != "cleared" ||
		!strings.Contains(got[0]["text"].(string), "HubSpot account 7: transfers resumed") {
		t.Fatalf("posts %v", got)
	}
}
