// Package pgtest starts throw-away PostgreSQL servers for tests: initdb
// into a temporary directory, pg_ctl start on a Unix socket and a free
// loopback port, pg_ctl stop and removal at the end. The server refuses to
// run as root, so under root it runs as the postgres (or nobody) user.
//
// A package's tests share one server:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
//	func TestX(t *testing.T) {
//		srv := pgtest.Shared(t) // skips, saying why, when PostgreSQL is not installed
//		...
//	}
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running throw-away PostgreSQL server.
type Server struct {
	// Dir holds the data directory, the socket and the log.
	Dir string
	// Socket is the directory of the Unix socket; Port the TCP port on
	// 127.0.0.1 (and the socket's number).
	Socket string
	Port   int
	// DSN connects as the superuser postgres over the Unix socket, where
	// no password is asked.
	DSN string
	// User and Password are a role that logs in over TCP with a password
	// (scram-sha-256) and may read every table of schema public.
	User, Password string

	bin  string
	cred *syscall.Credential
}

// ErrNotInstalled is returned by Start when no PostgreSQL server is
// installed.
var ErrNotInstalled = errors.New("PostgreSQL's server (initdb, pg_ctl) is not installed: on Debian, apt-get install postgresql (.ci/run does)")

// BinDir returns the directory of initdb and pg_ctl: from PATH, or
// Debian's /usr/lib/postgresql/VERSION/bin, the newest version first.
func BinDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[i]))))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(dirs[j]))))
		return vi > vj
	})
	for _, d := range dirs {
		return filepath.Dir(d), nil
	}
	return "", ErrNotInstalled
}

// Start starts a server. The caller must Stop it.
func Start() (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "klfit-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, Socket: filepath.Join(dir, "sock"), bin: bin, User: "klfit_reader", Password: "pw-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	if err := s.start(); err != nil {
		s.Stop()
		return nil, err
	}
	return s, nil
}

func (s *Server) start() error {
	if err := os.Mkdir(s.Socket, 0o700); err != nil {
		return err
	}
	if os.Geteuid() == 0 {
		// The server refuses root: run it as postgres (Debian's package
		// creates it) or nobody.
		var u *user.User
		var err error
		for _, name := range []string{"postgres", "nobody"} {
			if u, err = user.Lookup(name); err == nil {
				break
			}
		}
		if err != nil {
			return fmt.Errorf("running PostgreSQL as root is refused, and there is no postgres or nobody user to run it as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		for _, p := range []string{s.Dir, s.Socket} {
			if err := os.Chown(p, uid, gid); err != nil {
				return err
			}
		}
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	s.Port = port
	data := filepath.Join(s.Dir, "data")
	if err := s.run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--no-locale", "-N"); err != nil {
		return err
	}
	opts := fmt.Sprintf("-k %s -p %d -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50 -c shared_buffers=32MB", s.Socket, port)
	if err := s.run("pg_ctl", "-D", data, "-l", filepath.Join(s.Dir, "log"), "-o", opts, "-w", "-t", "60", "start"); err != nil {
		return err
	}
	s.DSN = fmt.Sprintf("host=%s port=%d user=postgres dbname=postgres sslmode=disable", s.Socket, port)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return s.Exec(ctx,
		fmt.Sprintf("CREATE ROLE %s LOGIN PASSWORD '%s'", s.User, s.Password),
		fmt.Sprintf("GRANT SELECT ON ALL TABLES IN SCHEMA public TO %s", s.User),
		fmt.Sprintf("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO %s", s.User))
}

// PasswordDSN connects as User over TCP with the password.
func (s *Server) PasswordDSN() string {
	return fmt.Sprintf("host=127.0.0.1 port=%d user=%s password=%s dbname=postgres sslmode=disable", s.Port, s.User, s.Password)
}

// Exec runs statements as the superuser.
func (s *Server) Exec(ctx context.Context, stmts ...string) error {
	c, err := pgx.Connect(ctx, s.DSN)
	if err != nil {
		return err
	}
	defer c.Close(context.Background())
	for _, st := range stmts {
		if _, err := c.Exec(ctx, st); err != nil {
			return fmt.Errorf("%s: %w", st, err)
		}
	}
	return nil
}

// Connect connects as the superuser.
func (s *Server) Connect(ctx context.Context) (*pgx.Conn, error) {
	return pgx.Connect(ctx, s.DSN)
}

func (s *Server) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.Dir, "log"))
		return fmt.Errorf("%s: %w\n%s\n%s", name, err, out, log)
	}
	return nil
}

// Stop stops the server and removes its directory.
func (s *Server) Stop() error {
	var err error
	if _, statErr := os.Stat(filepath.Join(s.Dir, "data", "postmaster.pid")); statErr == nil {
		err = s.run("pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-m", "immediate", "-w", "stop")
	}
	if rmErr := os.RemoveAll(s.Dir); err == nil {
		err = rmErr
	}
	return err
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

var shared struct {
	sync.Mutex
	srv *Server
	err error
	did bool
}

// Shared returns the package's shared server, starting it on first use.
// It skips the test, saying why, when PostgreSQL is not installed, and
// fails it when the server does not start.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.Lock()
	defer shared.Unlock()
	if !shared.did {
		shared.did = true
		shared.srv, shared.err = Start()
	}
	if errors.Is(shared.err, ErrNotInstalled) {
		t.Skipf("SKIPPED: %v", shared.err)
	}
	if shared.err != nil {
		t.Fatalf("starting PostgreSQL: %v", strings.TrimSpace(shared.err.Error()))
	}
	return shared.srv
}

// Main runs the tests, then stops the shared server if one was started.
func Main(m *testing.M) int {
	code := m.Run()
	shared.Lock()
	defer shared.Unlock()
	if shared.srv != nil {
		if err := shared.srv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stopping PostgreSQL:", err)
		}
	}
	return code
}
