package loadtest

import "testing"

func TestCheckSettle(t *testing.T) {
	flat := []float64{10, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16, 16}
	tests := []struct {
		name    string
		samples []float64
		ok      bool
		wantErr bool
	}{
		// The first quarter (start-up) does not count.
		{"flat after start-up", flat, true, false},
		{"small wobble", []float64{10, 16, 16.5, 16, 16.2, 16.8, 16, 16.4, 16.9, 16.1, 16.6, 17}, true, false},
		{"steady growth", []float64{10, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22}, false, false},
		{"drop of more than 10%", []float64{10, 20, 20, 20, 20, 20, 20, 20, 20, 17, 17, 17}, false, false},
		{"too few samples", []float64{10, 16, 16, 16, 16, 16, 16}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := CheckSettle(tt.samples)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err == nil && st.OK != tt.ok {
				t.Errorf("got %+v, want OK %v", st, tt.ok)
			}
		})
	}
}
