// Package fserr turns file-system errors into messages that name the
// condition and what to do about it, for the start-up messages that an
// operator reads when the data directory cannot be used.
package fserr

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// Describe wraps err from doing what with path in a message that says why it
// failed in words: a full disk, a read-only file system, a missing
// permission. Other errors keep their own text.
func Describe(what, path string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, syscall.ENOSPC), errors.Is(err, syscall.EDQUOT):
		return fmt.Errorf("%s %s: the disk is full; free some space and start again: %w", what, path, err)
	case errors.Is(err, syscall.EROFS):
		return fmt.Errorf("%s %s: the file system is read-only; choose a writable --data-dir or remount it read-write: %w", what, path, err)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s %s: permission denied; the data directory must be writable by the user running pretix-hubspot: %w", what, path, err)
	}
	return fmt.Errorf("%s %s: %w", what, path, err)
}
