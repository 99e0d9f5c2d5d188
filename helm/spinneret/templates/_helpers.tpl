{{/* Chart name. */}}
{{- define "spinneret.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: <release>-spinneret, or the release name if it already contains the chart name. */}}
{{- define "spinneret.fullname" -}}
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

{{- define "spinneret.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "spinneret.selectorLabels" -}}
app.kubernetes.io/name: {{ include "spinneret.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: controller
{{- end }}

{{/* Labels without app.kubernetes.io/component. */}}
{{- define "spinneret.baseLabels" -}}
helm.sh/chart: {{ include "spinneret.chart" . }}
app.kubernetes.io/name: {{ include "spinneret.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: spinneret
{{- end }}

{{- define "spinneret.labels" -}}
{{ include "spinneret.baseLabels" . }}
app.kubernetes.io/component: controller
{{- end }}

{{- define "spinneret.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "spinneret.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create=false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "spinneret.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}

{{/* Secret holding the webhook serving certificate (tls.crt, tls.key). */}}
{{- define "spinneret.tlsSecretName" -}}
{{- if eq .Values.tls.mode "provided" }}
{{- required "tls.provided.secretName is required when tls.mode=provided" .Values.tls.provided.secretName }}
{{- else }}
{{- printf "%s-webhook-tls" (include "spinneret.fullname" .) }}
{{- end }}
{{- end }}

{{/* cert-manager Certificate of the serving cert (namespace/name for cert-manager.io/inject-ca-from). */}}
{{- define "spinneret.certManagerCertificate" -}}
{{- printf "%s-webhook" (include "spinneret.fullname" .) }}
{{- end }}

{{/* DNS names of the webhook Service. */}}
{{- define "spinneret.serviceDnsNames" -}}
{{- $svc := include "spinneret.fullname" . -}}
{{- $ns := .Release.Namespace -}}
{{- list $svc (printf "%s.%s" $svc $ns) (printf "%s.%s.svc" $svc $ns) (printf "%s.%s.svc.cluster.local" $svc $ns) | toJson }}
{{- end }}

{{/* A CA bundle given as PEM or as base64 of PEM, always returned as base64 of PEM. */}}
{{- define "spinneret.b64pem" -}}
{{- if contains "-----BEGIN" . }}{{ b64enc . }}{{ else }}{{ . | replace "\n" "" | trim }}{{ end }}
{{- end }}

{{/*
tls.mode=auto: the CA and serving certificate, as JSON {"caCrt","tlsCrt","tlsKey"} (PEM).
An existing Secret is reused (lookup) so that upgrades do not rotate the certificates; otherwise they are generated.
The result is memoised in .Values so that the Secret (tls-secret.yaml) and the caBundle (webhooks.yaml) rendered in
the same run always agree, whatever the rendering order.
*/}}
{{- define "spinneret.autoCerts" -}}
{{- if not (hasKey .Values "__spinneretAutoCerts") }}
{{- $secretName := include "spinneret.tlsSecretName" . }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace $secretName }}
{{- $certs := dict }}
{{- if and $existing $existing.data (index $existing.data "tls.crt") (index $existing.data "tls.key") (index $existing.data "ca.crt") }}
{{- $_ := set $certs "caCrt" (index $existing.data "ca.crt" | b64dec) }}
{{- $_ := set $certs "tlsCrt" (index $existing.data "tls.crt" | b64dec) }}
{{- $_ := set $certs "tlsKey" (index $existing.data "tls.key" | b64dec) }}
{{- else }}
{{- $days := int .Values.tls.auto.validityDays }}
{{- $ca := genCA (printf "%s-webhook-ca" (include "spinneret.fullname" .)) $days }}
{{- $svc := include "spinneret.fullname" . }}
{{- $dns := include "spinneret.serviceDnsNames" . | fromJsonArray }}
{{- $cert := genSignedCert (printf "%s.%s.svc" $svc .Release.Namespace) nil $dns $days $ca }}
{{- $_ := set $certs "caCrt" $ca.Cert }}
{{- $_ := set $certs "tlsCrt" $cert.Cert }}
{{- $_ := set $certs "tlsKey" $cert.Key }}
{{- end }}
{{- $_ := set .Values "__spinneretAutoCerts" $certs }}
{{- end }}
{{- index .Values "__spinneretAutoCerts" | toJson }}
{{- end }}

{{/* caBundle (base64 PEM) for the webhook configurations; empty for cert-manager (injected). */}}
{{- define "spinneret.caBundle" -}}
{{- if .Values.webhook.externalURL }}
{{- include "spinneret.b64pem" (required "webhook.caBundle is required when webhook.externalURL is set" .Values.webhook.caBundle) }}
{{- else if eq .Values.tls.mode "auto" }}
{{- (include "spinneret.autoCerts" . | fromJson).caCrt | b64enc }}
{{- else if eq .Values.tls.mode "provided" }}
{{- include "spinneret.b64pem" (required "tls.provided.caBundle is required when tls.mode=provided" .Values.tls.provided.caBundle) }}
{{- end }}
{{- end }}

{{/* Fail early on inconsistent values. */}}
{{- define "spinneret.validate" -}}
{{- if not (has .Values.tls.mode (list "auto" "certManager" "provided")) }}
{{- fail (printf "tls.mode must be auto, certManager or provided (got %q)" .Values.tls.mode) }}
{{- end }}
{{- if not (has .Values.webhook.failurePolicy (list "Fail" "Ignore")) }}
{{- fail (printf "webhook.failurePolicy must be Fail or Ignore (got %q)" .Values.webhook.failurePolicy) }}
{{- end }}
{{- if not (kindIs "bool" .Values.ipam.primaryNetwork) }}
{{- fail (printf "ipam.primaryNetwork must be true or false (got %v)" .Values.ipam.primaryNetwork) }}
{{- end }}
{{- if and .Values.ipam.primaryNetwork (not (or .Values.clusterDefaultPool.installIPv4IPPool .Values.clusterDefaultPool.installIPv6IPPool .Values.ipam.defaultPoolsProvided)) }}
{{- fail "ipam.primaryNetwork=true makes Spinneret the IPAM of every pod's eth0, so every pod that is not host-network needs a pool, and none would apply: set clusterDefaultPool.installIPv4IPPool=true (with clusterDefaultPool.ipv4Subnet, ipv4IPRanges, ipv4Gateway), or, if you create SpiderIPPools with spec.default: true yourself, ipam.defaultPoolsProvided=true" }}
{{- end }}
{{- $t := int .Values.webhook.timeoutSeconds }}
{{- if or (lt $t 1) (gt $t 30) }}
{{- fail "webhook.timeoutSeconds must be between 1 and 30" }}
{{- end }}
{{- if ge (int .Values.controller.reservationTimeoutMs) (mul $t 1000) }}
{{- fail (printf "controller.reservationTimeoutMs (%v) must be below webhook.timeoutSeconds*1000 (%d): the service must answer before the API server gives up" .Values.controller.reservationTimeoutMs (mul $t 1000)) }}
{{- end }}
{{- if and .Values.webhook.externalURL (not (hasPrefix "https://" .Values.webhook.externalURL)) }}
{{- fail "webhook.externalURL must start with https://" }}
{{- end }}
{{- end }}

{{/* clientConfig of one webhook: dict root, path, caBundle. */}}
{{- define "spinneret.webhookClientConfig" -}}
{{- $root := .root -}}
{{- if $root.Values.webhook.externalURL -}}
url: {{ printf "%s%s" (trimSuffix "/" $root.Values.webhook.externalURL) .path | quote }}
{{- else -}}
service:
  name: {{ include "spinneret.fullname" $root }}
  namespace: {{ $root.Release.Namespace }}
  path: {{ .path | quote }}
  port: {{ $root.Values.service.webhookPort }}
{{- end }}
{{- with .caBundle }}
caBundle: {{ . }}
{{- end }}
{{- end }}

{{/* File name of one cluster default pool/subnet manifest in the hook ConfigMap. */}}
{{- define "spinneret.defaultPoolFile" -}}
{{- printf "%s-%s.yaml" (ternary "subnet" "ippool" (eq .kind "SpiderSubnet")) .name }}
{{- end }}

{{- define "spinneret.defaultPoolLabels" -}}
{{ include "spinneret.baseLabels" . }}
app.kubernetes.io/component: default-pool
{{- end }}
