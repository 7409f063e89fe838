package uploadtoken

import "testing"

// TestVerifyRefusesLineBreaks: base64 decoding skips CR and LF, so a token
// with line breaks inserted would decode to the signed bytes; Verify refuses
// it, and a token has exactly one accepted spelling. Found by FuzzVerify
// (seed testdata/fuzz/FuzzVerify/line-break-in-token).
func TestVerifyRefusesLineBreaks(t *testing.T) {
	s := newSigner(t, testSecret)
	c := testClaims()
	tok := s.Sign(c)
	if _, err := s.Verify(tok, c.UploadID, c.Caller, testNow); err != nil {
		t.Fatalf("control: the token as signed is refused: %v", err)
	}
	for _, bad := range []string{
		tok[:5] + "\n" + tok[5:],
		tok[:5] + "\r\n" + tok[5:],
		tok + "\n",
		"\r" + tok,
		tok[:len(tok)-3] + "\n" + tok[len(tok)-3:], // inside the MAC
	} {
		if _, err := s.Verify(bad, c.UploadID, c.Caller, testNow); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
