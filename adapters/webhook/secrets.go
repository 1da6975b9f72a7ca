package webhook

import "github.com/extguard/extguard/application"

// Secrets generates endpoint secrets with GenerateSecret.
type Secrets struct{}

var _ application.WebhookSecrets = Secrets{}

// Generate returns a new whsec_ secret.
func (Secrets) Generate() (string, error) { return GenerateSecret() }
