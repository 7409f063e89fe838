package loadtest

import (
	"os"
	"testing"
)

func TestParseStatCPUAddsUserAndSystemTicks(t *testing.T) {
	// Fields after the command: state ppid pgrp session tty tpgid flags
	// minflt cminflt majflt cmajflt utime stime ...
	tail := " S 1 2 3 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0 12345"
	tests := []struct {
		name, stat string
		want       uint64
		wantErr    bool
	}{
		{"plain name", "4242 (signer)" + tail, 325, false},
		{"name with spaces and parentheses", "4242 (a) b (c)" + tail, 325, false},
		{"no closing parenthesis", "4242 (signer" + tail, 0, true},
		{"too few fields", "4242 (signer) S 1 2 3", 0, true},
		{"utime not a number", "4242 (signer) S 1 2 3 0 -1 4194560 100 0 0 0 x 75 0", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(tt.stat))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("got %d ticks, want %d", got, tt.want)
			}
		})
	}
}

func TestParseStatusMemoryReadsVmRSSAndVmHWM(t *testing.T) {
	tests := []struct {
		name, status string
		rss, hwm     int64
		wantErr      bool
	}{
		{"both", "Name:\tsigner\nVmHWM:\t   20480 kB\nVmRSS:\t   16384 kB\nThreads:\t7\n", 16 << 20, 20 << 20, false},
		{"VmRSS missing", "Name:\tsigner\nVmHWM:\t   20480 kB\n", 0, 0, true},
		{"unexpected unit", "VmHWM:\t20480 MB\nVmRSS:\t16384 kB\n", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rss, hwm, err := parseStatusMemory([]byte(tt.status))
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if rss != tt.rss || hwm != tt.hwm {
				t.Errorf("got rss %d, hwm %d; want %d, %d", rss, hwm, tt.rss, tt.hwm)
			}
		})
	}
}

func TestReadProcOfThisProcess(t *testing.T) {
	s, err := ReadProc(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if s.RSS <= 0 || s.HWM < s.RSS {
		t.Errorf("got RSS %d, HWM %d; want 0 < RSS <= HWM", s.RSS, s.HWM)
	}
	if s.CPU < 0 {
		t.Errorf("got CPU %s, want >= 0", s.CPU)
	}
}

func TestReadProcOfMissingProcessFails(t *testing.T) {
	if _, err := ReadProc(1 << 30); err == nil {
		t.Error("got no error for a pid that cannot exist")
	}
}
