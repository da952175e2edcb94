package egress_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/flowplane/flowplane/dataflow/connectors/egress"
)

func TestCheckHost(t *testing.T) {
	t.Parallel()
	deny := egress.Policy{}
	dev := egress.Policy{AllowLoopback: true}
	all := egress.Policy{AllowLoopback: true, AllowPrivate: true}
	cases := []struct {
		host           string
		deny, dev, all bool // allowed under each policy
	}{
		{"db.example.com", true, true, true},
		{"203.0.113.7", true, true, true},
		{"2001:db8::1", true, true, true},
		{"[2001:db8::1]", true, true, true},
		{"169.254.169.254", false, false, false},
		{"169.254.0.1", false, false, false},
		{"fe80::1", false, false, false},
		{"fe80::1%eth0", false, false, false},
		{"fd00:ec2::254", false, false, false},
		{"100.100.100.200", false, false, false},
		{"metadata.google.internal", false, false, false},
		{"METADATA.google.internal.", false, false, false},
		{"0.0.0.0", false, false, false},
		{"0.1.2.3", false, false, false},
		{"::", false, false, false},
		{"::ffff:169.254.169.254", false, false, false},
		{"224.0.0.1", false, false, false},
		{"255.255.255.255", false, false, false},
		{"", false, false, false},
		{"127.0.0.1", false, true, true},
		{"127.1.2.3", false, true, true},
		{"::1", false, true, true},
		{"::ffff:127.0.0.1", false, true, true},
		{"localhost", false, true, true},
		{"db.localhost", false, true, true},
		{"10.1.2.3", false, false, true},
		{"172.16.0.1", false, false, true},
		{"192.168.1.1", false, false, true},
		{"100.64.0.1", false, false, true},
		{"fd12::1", false, false, true},
	}
	for _, c := range cases {
		for _, pc := range []struct {
			p    egress.Policy
			want bool
		}{{deny, c.deny}, {dev, c.dev}, {all, c.all}} {
			err := pc.p.CheckHost(c.host)
			if (err == nil) != pc.want {
				t.Errorf("%+v CheckHost(%q) = %v, want allowed=%v", pc.p, c.host, err, pc.want)
			}
			if err != nil && !errors.Is(err, egress.ErrForbidden) {
				t.Errorf("CheckHost(%q) error %v does not wrap ErrForbidden", c.host, err)
			}
		}
	}
}

func TestCheckHostPort(t *testing.T) {
	t.Parallel()
	p := egress.Policy{}
	for hp, ok := range map[string]bool{"kafka.example.com:9092": true, "kafka.example.com": true, "[::1]:9092": false,
		"169.254.169.254:80": false, "10.0.0.1:9092": false} {
		if err := p.CheckHostPort(hp); (err == nil) != ok {
			t.Errorf("CheckHostPort(%q) = %v, want allowed=%v", hp, err, ok)
		}
	}
}

func TestParseAllow(t *testing.T) {
	t.Parallel()
	p, err := egress.ParseAllow(" loopback , private")
	if err != nil || !p.AllowLoopback || !p.AllowPrivate || p.String() != "loopback,private" {
		t.Fatalf("ParseAllow = %+v, %v", p, err)
	}
	if p, err := egress.ParseAllow(""); err != nil || p != (egress.Policy{}) {
		t.Fatalf("ParseAllow(\"\") = %+v, %v", p, err)
	}
	if _, err := egress.ParseAllow("public"); err == nil {
		t.Fatal("ParseAllow accepted an unknown class")
	}
}

// TestDialerRefusesAtDialTime dials a real loopback listener: the default policy refuses before
// connecting (a name resolving to loopback, such as localhost, is caught after resolution), the dev
// policy connects.
func TestDialerRefusesAtDialTime(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ctx := context.Background()
	for _, addr := range []string{ln.Addr().String(), net.JoinHostPort("localhost", port)} {
		if _, err := (egress.Policy{}).Dialer(nil).DialContext(ctx, "tcp", addr); !errors.Is(err, egress.ErrForbidden) {
			t.Fatalf("default policy dial %s = %v, want ErrForbidden", addr, err)
		}
	}
	c, err := egress.Policy{AllowLoopback: true}.Dialer(nil).DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dev policy dial: %v", err)
	}
	c.Close()
}
