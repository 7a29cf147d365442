package server

import "time"

// CheckTime exposes the timestamp rule of the gateway to tests: v is
// checked against the clock now.
func CheckTime(now time.Time, v string) (time.Time, error) {
	s := &Server{now: func() time.Time { return now }}
	return s.checkTime(v)
}
