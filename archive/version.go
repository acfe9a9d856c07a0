package archive

import "runtime/debug"

// Software identifies this program in WARC and provenance records. The
// version comes from the module's build information ("(devel)" for a local
// build without a version tag), or from -ldflags "-X ...archive.version=v1.2.3".
func Software() Component {
	v := version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	return Component{Name: "archivist", Version: v}
}

// version is set at link time by release builds; it is never written at
// run time.
var version string
