package miniotest

// StartIn starts a MinIO server from bin with its data and configuration
// under root, for programs that are not tests (the benchmark harness). The
// caller stops it with Stop and removes root.
func StartIn(bin, root string) (*Server, error) { return start(bin, root) }

// PID returns the server's process id, 0 while it is stopped: the
// benchmark harness reads the server's own CPU time from it.
func (s *Server) PID() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil || s.proc.cmd.Process == nil {
		return 0
	}
	return s.proc.cmd.Process.Pid
}
