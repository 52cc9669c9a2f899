{{/*
Names and labels shared by every template.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "audience-guard.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Resource names: fullnameOverride, else the release name when it already contains the chart name, else RELEASE-CHART. */}}
{{- define "audience-guard.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "audience-guard.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "audience-guard.selectorLabels" -}}
app.kubernetes.io/name: {{ include "audience-guard.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "audience-guard.labels" -}}
helm.sh/chart: {{ include "audience-guard.chart" . }}
{{ include "audience-guard.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: ext-authz
app.kubernetes.io/part-of: audience-guard
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "audience-guard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "audience-guard.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, or repository@digest when a digest is set. */}}
{{- define "audience-guard.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* True when policies come from the Kubernetes API (and the service needs RBAC). */}}
{{- define "audience-guard.kubernetesMode" -}}
{{- if eq .Values.policySource "kubernetes" }}true{{ end }}
{{- end }}

{{/* Name of the ConfigMap mounted in file mode. */}}
{{- define "audience-guard.policyConfigMap" -}}
{{- default (printf "%s-policies" (include "audience-guard.fullname" .)) .Values.filePolicies.existingConfigMap }}
{{- end }}

{{/* PromQL label matchers that select this release's series in alert rules. */}}
{{- define "audience-guard.promSelector" -}}
{{- default (printf "job=%q" (include "audience-guard.fullname" .)) .Values.metrics.prometheusRule.selector }}
{{- end }}

{{/* Configuration checks that a schema cannot express. */}}
{{- define "audience-guard.validate" -}}
{{- if and (include "audience-guard.kubernetesMode" .) .Values.rbac.create (not .Values.rbac.clusterWide) (empty .Values.config.watchNamespaces) }}
{{- fail "rbac.clusterWide=false binds the ClusterRole per namespace: set config.watchNamespaces" }}
{{- end }}
{{- if and (eq .Values.policySource "file") .Values.filePolicies.existingConfigMap .Values.policies }}
{{- fail "policies and filePolicies.existingConfigMap exclude each other in file mode: the mounted ConfigMap holds the policies" }}
{{- end }}
{{- if and .Values.autoscaling.enabled (gt (int .Values.autoscaling.minReplicas) (int .Values.autoscaling.maxReplicas)) }}
{{- fail "autoscaling.minReplicas must not exceed autoscaling.maxReplicas" }}
{{- end }}
{{- end }}

{{/*
`hostOwnership` (namespace -> host patterns) as the AUDIENCE_GUARD_NAMESPACE_HOSTS value:
entries `NS=PATTERN,PATTERN` separated by ";", namespaces in sorted order.
*/}}
{{- define "audience-guard.namespaceHosts" -}}
{{- $entries := list -}}
{{- range $namespace, $patterns := . -}}
{{- $entries = append $entries (printf "%s=%s" $namespace (join "," $patterns)) -}}
{{- end -}}
{{- join ";" $entries -}}
{{- end }}
