package pretixapi_test

import "pretix-hubspot/pretixapi/pretixapitest"

// Short names for the shared emulator helpers.
const (
	testToken = pretixapitest.Token
	testOrg   = pretixapitest.Org
)

var (
	quietLog            = pretixapitest.QuietLog
	t0                  = pretixapitest.T0
	newEmu              = pretixapitest.NewEmu
	fastClient          = pretixapitest.FastClient
	advanceWhileBlocked = pretixapitest.AdvanceWhileBlocked
)

type emu = pretixapitest.Emu
