//go:build !linux

package local

import "errors"

// Only Linux has O_TMPFILE; elsewhere Put always takes the portable path.

func tmpfileUsable() bool { return false }

func openTmpfile(string) (int, error) { return -1, errors.ErrUnsupported }

func tmpfileUnsupported(error) bool { return true }

func linkTmpfile(int, string) error { return errors.ErrUnsupported }

func linkUnsupported(error) bool { return true }
