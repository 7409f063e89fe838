package presign

// Bucket returns the bucket the Presigner signs for.
func (p *Presigner) Bucket() string { return p.bucket }

// ObjectURL returns the object's URL without a signature (its "location"):
// the same origin and path escaping as a presigned URL for key, with no
// query. It grants nothing by itself.
func (p *Presigner) ObjectURL(key string) string {
	b := make([]byte, 0, len(p.origin)+len(p.pathPrefix)+len(key)+16)
	b = append(b, p.origin...)
	b = append(b, p.pathPrefix...)
	return string(appendPathEscape(b, key))
}
