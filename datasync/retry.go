package datasync

import (
	"math/rand/v2"
	"time"
)

// RetryPolicy spaces the attempts of a temporarily failing job.
type RetryPolicy struct {
	MaxAttempts int           // attempts before "auto-retry limit exceeded"
	Base        time.Duration // wait after the first failure
	Factor      float64       // growth per further failure
	Jitter      float64       // ± fraction applied to each wait
}

// DefaultRetryPolicy gives 5 attempts over about four hours:
// waits of about 6, 18, 54 and 162 minutes.
var DefaultRetryPolicy = RetryPolicy{MaxAttempts: 5, Base: 6 * time.Minute, Factor: 3, Jitter: 0.2}

// Delay is the wait after the given number of failed attempts (1-based).
func (p RetryPolicy) Delay(attempts int, rnd *rand.Rand) time.Duration {
	d := float64(p.Base)
	for i := 1; i < attempts; i++ {
		d *= p.Factor
	}
	if p.Jitter > 0 && rnd != nil {
		d *= 1 + p.Jitter*(2*rnd.Float64()-1)
	}
	return time.Duration(d)
}
