package datasync

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"syscall"
)

// Owner identifies one worker process as the holder of job leases. The
// host and process id let a starting process tell its dead predecessors'
// leases from those of processes still running; the nonce tells two
// processes apart that got the same pid (a container's pid 1 after a
// restart).
type Owner struct {
	Host  string
	PID   int
	Nonce string
}

// NewOwner returns the owner identity of this process.
func NewOwner(host string, pid int, rnd *rand.Rand) Owner {
	return Owner{Host: host, PID: pid, Nonce: fmt.Sprintf("%08x", rnd.Uint32())}
}

// String is the stored form, host:pid:nonce.
func (o Owner) String() string { return fmt.Sprintf("%s:%d:%s", o.Host, o.PID, o.Nonce) }

// ParseOwner reads host:pid:nonce (or host:pid, as older versions wrote).
func ParseOwner(s string) (Owner, bool) {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return Owner{}, false
	}
	pid, err := strconv.Atoi(parts[1])
	if err != nil || pid <= 0 || parts[0] == "" {
		return Owner{}, false
	}
	o := Owner{Host: parts[0], PID: pid}
	if len(parts) == 3 {
		o.Nonce = parts[2]
	}
	return o, true
}

// ProcessAlive reports whether a process with pid runs on this machine.
// A pid reused by an unrelated process reads as alive: its leases then
// expire instead of being reclaimed at once, which is slower but safe.
func ProcessAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || err == syscall.EPERM
}
