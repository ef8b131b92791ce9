package fserr

import (
	"fmt"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&fs.PathError{Op: "open", Path: "/d/x", Err: syscall.ENOSPC}, "the disk is full"},
		{&fs.PathError{Op: "open", Path: "/d/x", Err: syscall.EROFS}, "read-only"},
		{&fs.PathError{Op: "open", Path: "/d/x", Err: syscall.EACCES}, "permission denied"},
		{fmt.Errorf("wrapped: %w", syscall.EDQUOT), "the disk is full"},
		{syscall.EIO, "input/output error"},
	} {
		got := Describe("write", "/d", tc.err)
		if !strings.Contains(got.Error(), tc.want) || !strings.Contains(got.Error(), "/d") {
			t.Errorf("Describe(%v) = %q, want it to say %q", tc.err, got, tc.want)
		}
	}
	if Describe("write", "/d", nil) != nil {
		t.Error("no error described as one")
	}
}
