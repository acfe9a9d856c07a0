package local

import (
	"errors"
	"io/fs"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// tmpfileUsable reports whether Put can link an unnamed file into place:
// that goes through /proc/self/fd, which a chroot or a minimal container
// may lack. Whether the filesystem supports O_TMPFILE is learnt from the
// first Put.
func tmpfileUsable() bool {
	fi, err := os.Stat("/proc/self/fd")
	return err == nil && fi.IsDir()
}

// openTmpfile opens a new unnamed regular file in dir for writing.
func openTmpfile(dir string) (int, error) {
	for {
		fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_WRONLY|unix.O_CLOEXEC, 0o600)
		if err == nil {
			return fd, nil
		}
		if err != unix.EINTR {
			return -1, &fs.PathError{Op: "open unnamed file in", Path: dir, Err: err}
		}
	}
}

// tmpfileUnsupported reports whether err from openTmpfile means the
// filesystem (EOPNOTSUPP, EINVAL) or the kernel (EISDIR: before 3.11 the
// flag reads as O_DIRECTORY) cannot create unnamed files.
func tmpfileUnsupported(err error) bool {
	return errors.Is(err, unix.EOPNOTSUPP) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EISDIR)
}

// linkUnsupported reports whether err from linkTmpfile means unnamed files
// cannot be linked here at all (a sandbox refusing the /proc link), rather
// than a problem with this object.
func linkUnsupported(err error) bool {
	return errors.Is(err, unix.EXDEV) || errors.Is(err, unix.EPERM) ||
		errors.Is(err, unix.EINVAL) || errors.Is(err, unix.EOPNOTSUPP)
}

// linkTmpfile gives the unnamed file open as fd the name final. linkat
// with AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH; the /proc link works
// for any user. Like link(2), it fails with EEXIST if final exists.
func linkTmpfile(fd int, final string) error {
	proc := "/proc/self/fd/" + strconv.Itoa(fd)
	for {
		err := unix.Linkat(unix.AT_FDCWD, proc, unix.AT_FDCWD, final, unix.AT_SYMLINK_FOLLOW)
		if err == nil {
			return nil
		}
		if err != unix.EINTR {
			return &os.LinkError{Op: "link", Old: proc, New: final, Err: err}
		}
	}
}
