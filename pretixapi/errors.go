package pretixapi

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"pretix-hubspot/apperr"
)

// Error codes of the pretix side. Each has its own message that says what is
// wrong and what to do; none of them ever contains the API token.
const (
	CodeURLInvalid         = "pretix_url_invalid"
	CodeURLInsecure        = "pretix_url_insecure"
	CodeTokenMissing       = "pretix_token_missing"
	CodeUnreachable        = "pretix_unreachable"
	CodeTimeout            = "pretix_timeout"
	CodeTLS                = "pretix_tls"
	CodeNotPretix          = "pretix_not_pretix"
	CodeTokenInvalid       = "pretix_token_invalid"
	CodePermission         = "pretix_permission_missing"
	CodeSettingsForbidden  = "pretix_settings_forbidden"
	CodeOrganizerUnknown   = "pretix_organizer_unknown"
	CodeOrganizerAmbiguous = "pretix_organizer_ambiguous"
	CodeNoOrganizer        = "pretix_no_organizer"
	CodeNotFound           = "pretix_not_found"
	CodeMalformedJSON      = "pretix_malformed_json"
	CodeServerError        = "pretix_server_error"
	CodeBlocked            = "pretix_blocked"
	CodeRateLimited        = "pretix_rate_limited"
	CodeBadRequest         = "pretix_bad_request"
)

// ErrNoOrganizerOrderList means the server has no organizer-wide order list
// (pretix before 2023.8); callers fall back to listing per event.
var ErrNoOrganizerOrderList = errors.New("pretix: the server has no organizer-wide order list")

// HasCode reports whether err is an *apperr.Error with the given code.
func HasCode(err error, code string) bool {
	ae, ok := apperr.As(err)
	return ok && ae.Code == code
}

// Configuration mistakes are KindInvalid with a form field, not
// Unauthorized/Forbidden: those kinds would read as "your session with this
// app expired" to the UI, while the problem is the pretix settings entered.

func errURLInvalid(reason string) *apperr.Error {
	return apperr.Invalid(CodeURLInvalid,
		"The pretix URL is not valid: "+reason+". Enter the address of your pretix installation, for example https://pretix.eu.").
		WithField("base_url", "Enter an address like https://pretix.eu.")
}

func errURLInsecure(host string) *apperr.Error {
	return apperr.Invalid(CodeURLInsecure,
		"The pretix URL must start with https:// so the API token is never sent unencrypted to "+host+
			". Plain http:// is only accepted for localhost, or when insecure connections are explicitly allowed in the settings.").
		WithField("base_url", "Use an https:// address.")
}

func errTokenMissing() *apperr.Error {
	return apperr.Invalid(CodeTokenMissing, "Enter the pretix API token. Create one in pretix under Organizer → Teams → (your team) → API tokens.").
		WithField("token", "Enter the API token.")
}

func errTokenInvalid(detail string) *apperr.Error {
	msg := "pretix rejected the API token"
	if detail != "" {
		msg += " (\u201c" + detail + "\u201d)"
	}
	return apperr.Invalid(CodeTokenInvalid, msg+". Copy the token again from pretix (Organizer → Teams → your team → API tokens); it may have been revoked or mistyped.").
		WithField("token", "pretix does not accept this token.")
}

func errPermission(org, event string) *apperr.Error {
	where := "organizer \u201c" + org + "\u201d"
	if event != "" {
		where = "event \u201c" + event + "\u201d of " + where
	}
	return apperr.Invalid(CodePermission,
		"The API token may not read orders of "+where+": its team lacks the permission \u201cCan view orders\u201d "+
			"(pretix gives the same answer when the event does not exist). In pretix, open Organizer → Teams, give the token's team "+
			"\u201cCan view orders\u201d for all events, then try again.").
		WithField("token", "The token's team needs \u201cCan view orders\u201d.")
}

func errOrganizerUnknown(org string) *apperr.Error {
	return apperr.Invalid(CodeOrganizerUnknown,
		"pretix has no organizer \u201c"+org+"\u201d that this API token can access. Check the organizer's short name "+
			"(it is part of your pretix addresses: https://pretix.eu/<organizer>/…) and that the token belongs to a team of that organizer.").
		WithField("slug", "Unknown organizer for this token.")
}

func errNotPretix(base, what string) *apperr.Error {
	return apperr.Invalid(CodeNotPretix,
		"The server at "+base+" answered, but not like a pretix server ("+what+"). Check the pretix URL: it is the address of your "+
			"pretix installation, for example https://pretix.eu or https://tickets.example.org, without an organizer or event path.").
		WithField("base_url", "This does not look like a pretix server.")
}

func errMalformed(path string, err error) *apperr.Error {
	return apperr.New(apperr.KindUnavailable, CodeMalformedJSON,
		"pretix sent a response that is not valid JSON (for "+path+"). This is usually temporary or caused by a proxy in front of pretix; try again later.").Wrap(err)
}

// classifyNetErr explains a failed connection attempt.
func classifyNetErr(base *url.URL, err error) *apperr.Error {
	host := base.Hostname()
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	var recordErr tls.RecordHeaderError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownCA), errors.As(err, &hostErr), errors.As(err, &invalidCert):
		return apperr.New(apperr.KindUnavailable, CodeTLS,
			"The secure connection to "+host+" failed because its TLS certificate is not trusted ("+certReason(err)+"). "+
				"Check the pretix URL, or ask the server's administrator to install a valid certificate.").
			WithField("base_url", "The server's certificate is not trusted.").Wrap(err)
	case errors.As(err, &recordErr), strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return apperr.New(apperr.KindUnavailable, CodeTLS,
			"The server at "+host+" does not speak HTTPS on this address. Check the pretix URL (scheme and port).").
			WithField("base_url", "No HTTPS on this address.").Wrap(err)
	case errors.As(err, &dnsErr):
		return apperr.New(apperr.KindUnavailable, CodeUnreachable,
			"Could not find the server "+host+" (DNS lookup failed). Check the spelling of the pretix URL and this computer's internet connection.").
			WithField("base_url", "Unknown host.").Wrap(err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return apperr.New(apperr.KindUnavailable, CodeUnreachable,
			"Could not connect to "+base.Host+": the connection was refused. Check the pretix URL (and port) and that the server is running, then try again.").
			WithField("base_url", "Connection refused.").Wrap(err)
	case isTimeout(err):
		return apperr.New(apperr.KindUnavailable, CodeTimeout,
			"pretix at "+base.Host+" did not answer in time. The server may be overloaded or unreachable from here; try again later.").Wrap(err)
	}
	return apperr.New(apperr.KindUnavailable, CodeUnreachable,
		"Could not reach pretix at "+base.Host+" (the connection failed). Check the pretix URL and this computer's internet connection, then try again.").Wrap(err)
}

func certReason(err error) string {
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidCert x509.CertificateInvalidError
	switch {
	case errors.As(err, &unknownCA):
		return "it is signed by an unknown authority"
	case errors.As(err, &hostErr):
		return "it is not valid for this host name"
	case errors.As(err, &invalidCert):
		if invalidCert.Reason == x509.Expired {
			return "it has expired or is not valid yet"
		}
		return "it is invalid"
	}
	return "it could not be verified"
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// retryableNetErr says whether trying again may help: not for DNS failures
// and certificate problems, which need a person to act.
func retryableNetErr(err error) bool {
	ae := classifyNetErr(&url.URL{}, err)
	return ae.Code != CodeTLS && !(ae.Code == CodeUnreachable && isDNS(err))
}

func isDNS(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr)
}

func errServer(status int, attempts int) *apperr.Error {
	return apperr.New(apperr.KindUnavailable, CodeServerError,
		fmt.Sprintf("pretix answered with HTTP %d %s, also after %d attempts. pretix may be down or overloaded; this is retried automatically later.",
			status, http.StatusText(status), attempts))
}

func errBlocked(host string) *apperr.Error {
	return apperr.New(apperr.KindUnavailable, CodeBlocked,
		"A server in front of pretix at "+host+" refused the request with an HTML page (HTTP 403), which is typical of a proxy or firewall throttling API calls. "+
			"Ask the administrator of that server to allow API requests, then try again.")
}

func errRateLimited(waited int) *apperr.Error {
	return apperr.New(apperr.KindRateLimited, CodeRateLimited,
		fmt.Sprintf("pretix kept limiting the request rate (HTTP 429) after %d waits. Requests will continue at the next run; "+
			"if this keeps happening, ask pretix support for a higher API rate limit.", waited))
}
