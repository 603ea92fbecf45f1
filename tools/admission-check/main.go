// Command admission-check runs a ValidatingAdmissionPolicy and its binding
// through Kubernetes' own admission plugin and checks its decisions against a
// table of admission requests.
//
// The policy is not re-implemented here: the objects are loaded into a fake
// clientset, the ValidatingAdmissionPolicy plugin of k8s.io/apiserver (the
// code kube-apiserver links, at the version of go.mod) is initialized on it as
// kube-apiserver initializes its admission plugins, and every case is one
// call of the plugin's Validate with the admission attributes the API server
// would build for that request. Matching (matchConstraints, the binding),
// matchConditions, validations, failurePolicy and validationActions are all
// the plugin's.
//
// Before that, every expression is compiled on its own with the admission CEL
// compiler in the environment the API server uses to admit a new policy
// (NewExpressions), so that a compile error is reported as such rather than
// as a denial through failurePolicy: Fail. A compile error fails the check.
//
// Usage:
//
//	admission-check -policy objects.yaml -cases cases.yaml
//
// The policy file holds the policy and its binding: a chart values file with
// an `objects:` list (as charts/platform-manifests takes), a YAML or JSON
// list, or a multi-document YAML stream. Exit status: 0 all cases as
// expected, 1 a case's decision differs, 2 an expression does not compile or
// the input is unusable.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/version"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/apiserver/pkg/admission/initializer"
	plugincel "k8s.io/apiserver/pkg/admission/plugin/cel"
	"k8s.io/apiserver/pkg/admission/plugin/policy/validating"
	"k8s.io/apiserver/pkg/admission/plugin/webhook/matchconditions"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizerfactory"
	"k8s.io/apiserver/pkg/cel/environment"
	"k8s.io/apiserver/pkg/features"
	utilfeature "k8s.io/apiserver/pkg/util/feature"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/klog/v2"
	"sigs.k8s.io/yaml"
)

// kubeMinor is the Kubernetes minor version of go.mod's k8s.io modules (1.34.3).
var kubeMinor = version.MajorMinor(1, 34)

// Case is one admission request and the decision expected for it.
type Case struct {
	// What the case is, printed with its result.
	Case string `json:"case"`
	// User name and groups of the requester.
	User   string   `json:"user"`
	Groups []string `json:"groups,omitempty"`
	// CREATE, UPDATE, DELETE or CONNECT.
	Operation string `json:"operation"`
	// group/version/resource, version/resource for the core group; kind is the
	// object's: Kind, or group/version/Kind when it differs (subresources).
	Resource    string `json:"resource"`
	Subresource string `json:"subresource,omitempty"`
	Kind        string `json:"kind"`
	// The object's name (the request's).
	// The request's namespace ("" for cluster-scoped objects). For namespaces
	// themselves it is derived as the API server does: see requestNamespace.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// Labels of the object (CREATE, UPDATE) and of the stored object (UPDATE, DELETE).
	Labels    map[string]string `json:"labels,omitempty"`
	OldLabels map[string]string `json:"oldLabels,omitempty"`
	// allow or deny.
	Expect string `json:"expect"`
	// Why, when the expectation needs one.
	Note string `json:"note,omitempty"`
}

func main() {
	policyFile := flag.String("policy", "", "file with the ValidatingAdmissionPolicy and its binding")
	casesFile := flag.String("cases", "", "file with the cases (YAML or JSON list)")
	verbose := flag.Bool("v", false, "keep the plugin's klog output")
	flag.Parse()
	if *policyFile == "" || *casesFile == "" {
		fmt.Fprintln(os.Stderr, "usage: admission-check -policy FILE -cases FILE")
		os.Exit(2)
	}
	if !*verbose {
		klog.LogToStderr(false)
		klog.SetOutput(io.Discard)
	}
	os.Exit(run(*policyFile, *casesFile))
}

func run(policyFile, casesFile string) int {
	policies, bindings, err := loadPolicies(policyFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", policyFile, err)
		return 2
	}
	cases, err := loadCases(casesFile)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", casesFile, err)
		return 2
	}

	if n := compileAll(policies); n > 0 {
		fmt.Fprintf(os.Stderr, "%d expression(s) do not compile: the API server would refuse the policy\n", n)
		return 2
	}

	// The namespaces the requests are in exist, as they must: the plugin reads
	// the request's namespace (namespaceObject) and refuses a request in a
	// missing one, which NamespaceLifecycle would have refused before.
	namespaces := map[string]bool{}
	for _, c := range cases {
		if ns := requestNamespace(c); ns != "" && !isNamespace(c) {
			namespaces[ns] = true
		}
	}
	plugin, stop, err := startPlugin(policies, bindings, namespaces, false)
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the ValidatingAdmissionPolicy plugin: %v\n", err)
		return 2
	}
	defer stop()
	// The same policies with the other failurePolicy: where the two decide
	// differently, an expression failed to evaluate and failurePolicy, not the
	// rules, decided.
	flipped, stopFlipped, err := startPlugin(policies, bindings, namespaces, true)
	if err != nil {
		fmt.Fprintf(os.Stderr, "starting the ValidatingAdmissionPolicy plugin: %v\n", err)
		return 2
	}
	defer stopFlipped()

	fmt.Println()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "RESULT\tEXPECT\tGOT\tCASE\tREASON")
	failed := 0
	for _, c := range cases {
		got, reason, err := decide(plugin, c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "case %q: %v\n", c.Case, err)
			return 2
		}
		other, otherReason, err := decide(flipped, c)
		if err != nil {
			fmt.Fprintf(os.Stderr, "case %q: %v\n", c.Case, err)
			return 2
		}
		result := "ok"
		if got != other {
			// A decision by failurePolicy is no proof of the rules: an error
			// here is a rule that does not handle the request.
			if reason == "" {
				reason = otherReason
			}
			got += " (evaluation error, decided by failurePolicy)"
			result = "FAIL"
			failed++
		} else if got != c.Expect {
			result = "FAIL"
			failed++
		}
		if reason == "" {
			reason = c.Note
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", result, c.Expect, got, c.Case, reason)
	}
	w.Flush()
	if failed > 0 {
		fmt.Fprintf(os.Stderr, "\n%d of %d case(s) decided otherwise than expected\n", failed, len(cases))
		return 1
	}
	fmt.Printf("\nall %d cases decided as expected\n", len(cases))
	return 0
}

// loadPolicies reads the policies and bindings, strictly (an unknown field is
// an error, as with kubectl's strict field validation), and applies the
// defaults the API server applies to a stored object.
func loadPolicies(file string) ([]*admissionregistrationv1.ValidatingAdmissionPolicy, []*admissionregistrationv1.ValidatingAdmissionPolicyBinding, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	docs, err := objectDocuments(raw)
	if err != nil {
		return nil, nil, err
	}
	var policies []*admissionregistrationv1.ValidatingAdmissionPolicy
	var bindings []*admissionregistrationv1.ValidatingAdmissionPolicyBinding
	for i, doc := range docs {
		var head metav1.TypeMeta
		if err := yaml.Unmarshal(doc, &head); err != nil {
			return nil, nil, fmt.Errorf("object %d: %w", i, err)
		}
		if head.APIVersion != admissionregistrationv1.SchemeGroupVersion.String() {
			continue
		}
		switch head.Kind {
		case "ValidatingAdmissionPolicy":
			p := &admissionregistrationv1.ValidatingAdmissionPolicy{}
			if err := yaml.UnmarshalStrict(doc, p); err != nil {
				return nil, nil, fmt.Errorf("object %d (%s): %w", i, head.Kind, err)
			}
			defaultPolicy(p)
			policies = append(policies, p)
		case "ValidatingAdmissionPolicyBinding":
			b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{}
			if err := yaml.UnmarshalStrict(doc, b); err != nil {
				return nil, nil, fmt.Errorf("object %d (%s): %w", i, head.Kind, err)
			}
			if b.Spec.MatchResources != nil {
				defaultMatchResources(b.Spec.MatchResources)
			}
			if b.Spec.ParamRef != nil && b.Spec.ParamRef.ParameterNotFoundAction == nil {
				deny := admissionregistrationv1.DenyAction
				b.Spec.ParamRef.ParameterNotFoundAction = &deny
			}
			bindings = append(bindings, b)
		}
	}
	if len(policies) == 0 {
		return nil, nil, errors.New("no admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy")
	}
	if len(bindings) == 0 {
		return nil, nil, errors.New("no ValidatingAdmissionPolicyBinding: a policy without one is never evaluated")
	}
	return policies, bindings, nil
}

// objectDocuments splits the file into one JSON document per object.
func objectDocuments(raw []byte) ([][]byte, error) {
	var docs [][]byte
	decoder := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(raw), 4096)
	for {
		var doc any
		if err := decoder.Decode(&doc); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return nil, err
		}
		var items []any
		switch v := doc.(type) {
		case nil:
			continue
		case []any:
			items = v
		case map[string]any:
			if objects, ok := v["objects"].([]any); ok && v["kind"] == nil {
				items = objects // chart values: {objects: [...]}
			} else {
				items = []any{v}
			}
		default:
			return nil, fmt.Errorf("unexpected document of type %T", doc)
		}
		for _, item := range items {
			b, err := yaml.Marshal(item)
			if err != nil {
				return nil, err
			}
			docs = append(docs, b)
		}
	}
	return docs, nil
}

// The defaults of k8s.io/kubernetes pkg/apis/admissionregistration/v1
// (SetDefaults_ValidatingAdmissionPolicySpec, _MatchResources, _Rule), which
// the API server applies before storing the objects. Without them a nil
// namespaceSelector would match no request at all.
func defaultPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
	if p.Spec.FailurePolicy == nil {
		fail := admissionregistrationv1.Fail
		p.Spec.FailurePolicy = &fail
	}
	if p.Spec.MatchConstraints != nil {
		defaultMatchResources(p.Spec.MatchConstraints)
	}
}

func defaultMatchResources(m *admissionregistrationv1.MatchResources) {
	if m.MatchPolicy == nil {
		equivalent := admissionregistrationv1.Equivalent
		m.MatchPolicy = &equivalent
	}
	if m.NamespaceSelector == nil {
		m.NamespaceSelector = &metav1.LabelSelector{}
	}
	if m.ObjectSelector == nil {
		m.ObjectSelector = &metav1.LabelSelector{}
	}
	for _, rules := range [][]admissionregistrationv1.NamedRuleWithOperations{m.ResourceRules, m.ExcludeResourceRules} {
		for i := range rules {
			if rules[i].Scope == nil {
				all := admissionregistrationv1.AllScopes
				rules[i].Scope = &all
			}
		}
	}
}

func loadCases(file string) ([]Case, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var cases []Case
	if err := yaml.UnmarshalStrict(raw, &cases); err != nil {
		return nil, err
	}
	if len(cases) == 0 {
		return nil, errors.New("no cases")
	}
	for _, c := range cases {
		if c.Expect != "allow" && c.Expect != "deny" {
			return nil, fmt.Errorf("case %q: expect must be allow or deny, not %q", c.Case, c.Expect)
		}
	}
	return cases, nil
}

// compileAll compiles every expression of the policies with the admission
// CEL compiler, in the NewExpressions environment the API server validates a
// created or changed policy with: at the compatibility version kube-apiserver
// 1.34 runs with by default (its minimum compatibility version, 1.33) and at
// 1.34 itself. It prints one line per expression and returns the number of
// expressions that fail.
func compileAll(policies []*admissionregistrationv1.ValidatingAdmissionPolicy) int {
	strictCost := utilfeature.DefaultFeatureGate.Enabled(features.StrictCostEnforcementForVAP)
	versions := []*version.Version{environment.DefaultCompatibilityVersion(), kubeMinor}
	fmt.Printf("compiling with k8s.io/apiserver's admission CEL compiler, NewExpressions environment, compatibility versions %s and %s, strict cost %v\n",
		versions[0], versions[1], strictCost)
	failed := 0
	for _, p := range policies {
		hasParams := p.Spec.ParamKind != nil
		type expr struct {
			field    string
			accessor plugincel.ExpressionAccessor
			// messageExpression has no authorizer
			authorizer bool
		}
		var exprs []expr
		for i := range p.Spec.MatchConditions {
			exprs = append(exprs, expr{fmt.Sprintf("spec.matchConditions[%d].expression", i), (*matchconditions.MatchCondition)(&p.Spec.MatchConditions[i]), true})
		}
		for i, v := range p.Spec.Validations {
			exprs = append(exprs, expr{fmt.Sprintf("spec.validations[%d].expression", i), &validating.ValidationCondition{Expression: v.Expression}, true})
			if v.MessageExpression != "" {
				exprs = append(exprs, expr{fmt.Sprintf("spec.validations[%d].messageExpression", i), &validating.MessageExpressionCondition{MessageExpression: v.MessageExpression}, false})
			}
		}
		for i, a := range p.Spec.AuditAnnotations {
			exprs = append(exprs, expr{fmt.Sprintf("spec.auditAnnotations[%d].valueExpression", i), &validating.AuditAnnotationCondition{Key: a.Key, ValueExpression: a.ValueExpression}, true})
		}
		for _, ver := range versions {
			compiler, err := plugincel.NewCompositedCompiler(environment.MustBaseEnvSet(ver, strictCost))
			if err != nil {
				fmt.Printf("FAIL  %s: CEL environment %s: %v\n", p.Name, ver, err)
				failed++
				continue
			}
			variables := make([]plugincel.NamedExpressionAccessor, len(p.Spec.Variables))
			for i := range p.Spec.Variables {
				variables[i] = &validating.Variable{Name: p.Spec.Variables[i].Name, Expression: p.Spec.Variables[i].Expression}
			}
			opts := plugincel.OptionalVariableDeclarations{HasParams: hasParams, HasAuthorizer: true, StrictCost: strictCost}
			for i, v := range variables {
				if res := compiler.CompileAndStoreVariable(v, opts, environment.NewExpressions); res.Error != nil {
					fmt.Printf("FAIL  %s spec.variables[%d] (%s) [%s]: %v\n", p.Name, i, v.GetName(), ver, res.Error)
					failed++
				}
			}
			for _, e := range exprs {
				o := opts
				o.HasAuthorizer = e.authorizer
				res := compiler.CompileCELExpression(e.accessor, o, environment.NewExpressions)
				if res.Error != nil {
					fmt.Printf("FAIL  %s %s [%s]: %v\n", p.Name, e.field, ver, res.Error)
					failed++
					continue
				}
				fmt.Printf("ok    %s %s [%s]: compiles, type %s\n", p.Name, e.field, ver, res.OutputType)
			}
		}
	}
	return failed
}

// startPlugin initializes the ValidatingAdmissionPolicy plugin as
// kube-apiserver does (admission initializer, then ValidateInitialization),
// on a fake clientset holding the policies, bindings and namespaces, and waits
// until it has compiled the policies. flipFailurePolicy gives the policies the
// other failurePolicy.
func startPlugin(policies []*admissionregistrationv1.ValidatingAdmissionPolicy, bindings []*admissionregistrationv1.ValidatingAdmissionPolicyBinding, namespaces map[string]bool, flipFailurePolicy bool) (*validating.Plugin, func(), error) {
	var objects []runtime.Object
	for _, p := range policies {
		if flipFailurePolicy {
			p = p.DeepCopy()
			other := admissionregistrationv1.Ignore
			if *p.Spec.FailurePolicy == admissionregistrationv1.Ignore {
				other = admissionregistrationv1.Fail
			}
			p.Spec.FailurePolicy = &other
		}
		objects = append(objects, p)
	}
	for name := range namespaces {
		objects = append(objects, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	}
	for _, b := range bindings {
		objects = append(objects, b)
	}
	client := fake.NewSimpleClientset(objects...) //nolint:staticcheck // NewClientset needs apply configurations this check has no use for
	informerFactory := informers.NewSharedInformerFactory(client, 0)
	dynamicClient := dynamicfake.NewSimpleDynamicClient(runtime.NewScheme())
	stopCh := make(chan struct{})
	stop := func() { close(stopCh) }

	plugin := validating.NewPlugin(nil)
	initializer.New(client, dynamicClient, informerFactory, authorizerfactory.NewAlwaysAllowAuthorizer(),
		utilfeature.DefaultFeatureGate, stopCh, meta.NewDefaultRESTMapper(nil)).Initialize(plugin)
	if err := plugin.ValidateInitialization(); err != nil {
		stop()
		return nil, nil, err
	}
	informerFactory.Start(stopCh)
	informerFactory.WaitForCacheSync(stopCh)
	deadline := time.Now().Add(30 * time.Second)
	for !plugin.WaitForReady() {
		if time.Now().After(deadline) {
			stop()
			return nil, nil, errors.New("the plugin did not load the policies within 30 s")
		}
	}
	return plugin, stop, nil
}

// decide asks the plugin about one request: allow, or deny with the reason.
func decide(plugin *validating.Plugin, c Case) (string, string, error) {
	gvr, err := parseResource(c.Resource)
	if err != nil {
		return "", "", err
	}
	gvk, err := parseKind(c.Kind, gvr)
	if err != nil {
		return "", "", err
	}
	op := admission.Operation(c.Operation)
	var obj, oldObj runtime.Object
	switch op {
	case admission.Create:
		obj, err = newObject(gvk, c, c.Labels)
	case admission.Update:
		if obj, err = newObject(gvk, c, c.Labels); err == nil {
			oldObj, err = newObject(gvk, c, c.OldLabels)
		}
	case admission.Delete:
		// The API server passes the stored object as oldObject, object is null.
		oldObj, err = newObject(gvk, c, c.OldLabels)
	case admission.Connect:
		// The object of a CONNECT is its options (PodExecOptions, ...), not
		// the resource; none here.
	default:
		return "", "", fmt.Errorf("unknown operation %q", c.Operation)
	}
	if err != nil {
		return "", "", err
	}
	var options runtime.Object
	switch op {
	case admission.Create:
		options = &metav1.CreateOptions{}
	case admission.Update:
		options = &metav1.UpdateOptions{}
	case admission.Delete:
		options = &metav1.DeleteOptions{}
	}
	userInfo := &user.DefaultInfo{Name: c.User, Groups: c.Groups}
	attrs := admission.NewAttributesRecord(obj, oldObj, gvk, requestNamespace(c), c.Name, gvr, c.Subresource, op, options, false, userInfo)
	err = plugin.Validate(context.Background(), attrs, admission.NewObjectInterfacesFromScheme(scheme.Scheme))
	if err == nil {
		return "allow", "", nil
	}
	var status apierrors.APIStatus
	if errors.As(err, &status) {
		return "deny", status.Status().Message, nil
	}
	return "deny", err.Error(), nil
}

// requestNamespace is the namespace of the request's attributes. For
// namespaces the API server takes it from the URL
// (k8s.io/apiserver/pkg/endpoints/request/requestinfo.go):
// /api/v1/namespaces/NAME gives namespace NAME (update, delete), the
// collection /api/v1/namespaces none (create).
func requestNamespace(c Case) string {
	if c.Namespace != "" {
		return c.Namespace
	}
	if isNamespace(c) && c.Operation != string(admission.Create) {
		return c.Name
	}
	return ""
}

func isNamespace(c Case) bool {
	gvr, _ := parseResource(c.Resource)
	return gvr.Group == "" && gvr.Resource == "namespaces"
}

func parseResource(s string) (schema.GroupVersionResource, error) {
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 2:
		return schema.GroupVersionResource{Version: parts[0], Resource: parts[1]}, nil
	case 3:
		return schema.GroupVersionResource{Group: parts[0], Version: parts[1], Resource: parts[2]}, nil
	}
	return schema.GroupVersionResource{}, fmt.Errorf("resource %q is not group/version/resource or version/resource", s)
}

// parseKind reads Kind (of the resource's group and version) or
// group/version/Kind, version/Kind: a subresource's kind may differ
// (deployments/scale is autoscaling/v1 Scale).
func parseKind(s string, gvr schema.GroupVersionResource) (schema.GroupVersionKind, error) {
	parts := strings.Split(s, "/")
	switch len(parts) {
	case 1:
		return gvr.GroupVersion().WithKind(s), nil
	case 2:
		return schema.GroupVersionKind{Version: parts[0], Kind: parts[1]}, nil
	case 3:
		return schema.GroupVersionKind{Group: parts[0], Version: parts[1], Kind: parts[2]}, nil
	}
	return schema.GroupVersionKind{}, fmt.Errorf("kind %q is not Kind, version/Kind or group/version/Kind", s)
}

// newObject builds the object the API server would hand to admission: the
// typed object of a built-in kind (client-go's scheme), else unstructured.
func newObject(gvk schema.GroupVersionKind, c Case, labels map[string]string) (runtime.Object, error) {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(gvk)
	u.SetName(c.Name)
	if ns := requestNamespace(c); ns != "" && !(gvk.Group == "" && gvk.Kind == "Namespace") {
		u.SetNamespace(ns)
	}
	if len(labels) > 0 {
		u.SetLabels(labels)
	}
	typed, err := scheme.Scheme.New(gvk)
	if err != nil {
		return u, nil
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, typed); err != nil {
		return nil, fmt.Errorf("%s: %w", gvk, err)
	}
	return typed, nil
}
