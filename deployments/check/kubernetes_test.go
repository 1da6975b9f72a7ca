package check

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
)

const manifests = "../kubernetes/extguard.yaml"

// decodeManifests decodes every document of path with the Kubernetes API
// types, strictly: an unknown or misspelt field, or a duplicated one, is an
// error, as `kubectl apply --validate=strict` would report it.
func decodeManifests(t *testing.T, path string) []runtime.Object {
	t.Helper()
	objs, err := decodeStrictly(path)
	if err != nil {
		t.Fatal(err)
	}
	return objs
}

func decodeStrictly(path string) ([]runtime.Object, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{corev1.AddToScheme, appsv1.AddToScheme, batchv1.AddToScheme, policyv1.AddToScheme} {
		if err := add(scheme); err != nil {
			return nil, err
		}
	}
	decoder := serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
	var objs []runtime.Object
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(raw), -1) {
		if strings.TrimSpace(regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(doc, "")) == "" {
			continue
		}
		obj, _, err := decoder.Decode([]byte(doc), nil, nil)
		if err != nil {
			return nil, fmt.Errorf("%s, document %d: %w", path, i+1, err)
		}
		objs = append(objs, obj)
	}
	return objs, nil
}

func TestManifestsDecodeStrictly(t *testing.T) {
	objs := decodeManifests(t, manifests)
	if len(objs) < 6 {
		t.Fatalf("decoded only %d objects", len(objs))
	}
}

// The decoder must refuse what the test relies on it refusing.
func TestStrictDecodingRefusesUnknownFields(t *testing.T) {
	dir := t.TempDir()
	bad := "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\ndatta: {c: d}\n"
	if err := os.WriteFile(dir+"/bad.yaml", []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := decodeStrictly(dir + "/bad.yaml"); err == nil || !strings.Contains(err.Error(), "datta") {
		t.Fatalf("a misspelt field decoded: %v", err)
	}
}

// workloads are the pod templates of every Deployment and Job.
func workloads(t *testing.T) map[string]corev1.PodTemplateSpec {
	pods := map[string]corev1.PodTemplateSpec{}
	for _, o := range decodeManifests(t, manifests) {
		switch w := o.(type) {
		case *appsv1.Deployment:
			pods["Deployment/"+w.Name] = w.Spec.Template
		case *batchv1.Job:
			pods["Job/"+w.Name] = w.Spec.Template
		}
	}
	if len(pods) < 3 {
		t.Fatalf("want the migrate Job and two Deployments, found %v", pods)
	}
	return pods
}

// Pod Security "restricted", plus a numeric non-root user the kubelet can
// check, plus resources on every container.
func TestEveryWorkloadMeetsPodSecurityRestricted(t *testing.T) {
	imageUser := dockerfileUser(t)
	for name, pod := range workloads(t) {
		ps := pod.Spec.SecurityContext
		if ps == nil || ps.RunAsNonRoot == nil || !*ps.RunAsNonRoot {
			t.Errorf("%s: runAsNonRoot is not set on the pod", name)
		}
		if ps == nil || ps.RunAsUser == nil || *ps.RunAsUser == 0 || *ps.RunAsUser != imageUser {
			t.Errorf("%s: runAsUser must be the image's numeric user %d", name, imageUser)
		}
		if ps == nil || ps.SeccompProfile == nil || ps.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
			t.Errorf("%s: seccompProfile is not RuntimeDefault", name)
		}
		for _, c := range append(slices.Clone(pod.Spec.InitContainers), pod.Spec.Containers...) {
			where := name + " container " + c.Name
			sc := c.SecurityContext
			if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
				t.Errorf("%s: allowPrivilegeEscalation is not false", where)
			}
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
				t.Errorf("%s: the root filesystem is not read-only", where)
			}
			if sc == nil || sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
				t.Errorf("%s: capabilities must drop ALL and add none", where)
			}
			if sc != nil && sc.Privileged != nil && *sc.Privileged {
				t.Errorf("%s: privileged", where)
			}
			r := c.Resources
			if r.Requests.Cpu().IsZero() || r.Requests.Memory().IsZero() || r.Limits.Memory().IsZero() {
				t.Errorf("%s: wants cpu and memory requests and a memory limit, has %v", where, r)
			}
		}
	}
}

// dockerfileUser is the image's USER, which must be numeric.
func dockerfileUser(t *testing.T) int64 {
	t.Helper()
	raw, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^USER\s+(\S+)`).FindAllSubmatch(raw, -1)
	if len(m) == 0 {
		t.Fatal("the Dockerfile sets no USER: the image would run as root")
	}
	user, _, _ := strings.Cut(string(m[len(m)-1][1]), ":")
	uid, err := strconv.ParseInt(user, 10, 64)
	if err != nil || uid == 0 {
		t.Fatalf("the image's USER %q is not a numeric non-root user: the kubelet cannot check runAsNonRoot", m[len(m)-1][1])
	}
	return uid
}

// The migration Job must not block the next release: its pod template is
// immutable, so it has to go away once finished.
func TestMigrateJobCanBeReappliedWithANewImage(t *testing.T) {
	for _, o := range decodeManifests(t, manifests) {
		if j, ok := o.(*batchv1.Job); ok && (j.Spec.TTLSecondsAfterFinished == nil || *j.Spec.TTLSecondsAfterFinished > 600) {
			t.Errorf("Job %s: ttlSecondsAfterFinished unset or above 10 minutes", j.Name)
		}
	}
}

// The API keeps pods through voluntary disruptions, and its readiness probe
// is /readyz (which Redis does not decide).
func TestTheAPIHasADisruptionBudget(t *testing.T) {
	var api *appsv1.Deployment
	var pdbs []*policyv1.PodDisruptionBudget
	for _, o := range decodeManifests(t, manifests) {
		switch w := o.(type) {
		case *appsv1.Deployment:
			if w.Name == "extguard-api" {
				api = w
			}
		case *policyv1.PodDisruptionBudget:
			pdbs = append(pdbs, w)
		}
	}
	if api == nil {
		t.Fatal("no extguard-api Deployment")
	}
	if p := api.Spec.Template.Spec.Containers[0].ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" || p.TimeoutSeconds < 3 {
		t.Errorf("the API's readiness probe must be /readyz with a timeout above the checks' 2 s: %+v", p)
	}
	for _, pdb := range pdbs {
		sel := pdb.Spec.Selector
		if sel == nil || len(sel.MatchLabels) == 0 {
			continue
		}
		matches := true
		for k, v := range sel.MatchLabels {
			matches = matches && api.Spec.Template.Labels[k] == v
		}
		if matches && (pdb.Spec.MinAvailable != nil || pdb.Spec.MaxUnavailable != nil) {
			if pdb.Spec.MinAvailable != nil && pdb.Spec.MinAvailable.IntValue() >= int(*api.Spec.Replicas) {
				t.Errorf("PodDisruptionBudget %s allows no disruption at all", pdb.Name)
			}
			return
		}
	}
	t.Fatal("no PodDisruptionBudget selects the API's pods")
}

func TestDockerignoreKeepsTheContextSmall(t *testing.T) {
	raw, err := os.ReadFile("../../.dockerignore")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(raw))
	for _, want := range []string{".git", "bin/"} {
		if !slices.Contains(lines, want) {
			t.Errorf(".dockerignore does not leave out %s", want)
		}
	}
}
