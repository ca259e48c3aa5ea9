{{/* Chart name, truncated to the 63 characters a label value allows. */}}
{{- define "windrose.name" -}}
{{- .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Full name: the release name, plus the chart name unless it already contains it. */}}
{{- define "windrose.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels that select the pods; they must never change across upgrades. */}}
{{- define "windrose.selectorLabels" -}}
app.kubernetes.io/name: {{ include "windrose.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "windrose.labels" -}}
{{ include "windrose.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* The container port: the port of config.server.listen. */}}
{{- define "windrose.port" -}}
{{- .Values.service.port -}}
{{- end -}}

{{/* The ServiceAccount the pods run as. */}}
{{- define "windrose.serviceAccountName" -}}
{{- default (include "windrose.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{/* The pod's port name for windrose: "http" standalone, "windrose" beside an app. */}}
{{- define "windrose.portName" -}}
{{- if eq .Values.mode "sidecar" -}}windrose{{- else -}}http{{- end -}}
{{- end -}}

{{/*
The windrose container, shared by both modes. As a native sidecar it gets
restartPolicy Always and a startupProbe (the app starts only once it
passes), and no readinessProbe: a sidecar's readiness gates the pod's, and
/readyz is 503 while windrose drains, which must not take the app out of
its Service.
*/}}
{{- define "windrose.container" -}}
- name: windrose
  image: "{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}"
  imagePullPolicy: {{ .Values.image.pullPolicy }}
  {{- if eq .Values.mode "sidecar" }}
  restartPolicy: Always
  {{- end }}
  args: ["serve", "--config", "/etc/windrose/windrose.yaml"]
  ports:
    - name: {{ include "windrose.portName" . }}
      containerPort: {{ include "windrose.port" . }}
      protocol: TCP
  env:
    {{- range .Values.secretEnv.keys }}
    - name: {{ . }}
      valueFrom:
        secretKeyRef:
          name: {{ $.Values.secretEnv.secretName }}
          key: {{ . }}
    {{- end }}
    {{- with .Values.extraEnv }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- if eq .Values.mode "sidecar" }}
  startupProbe:
    httpGet:
      path: /healthz
      port: {{ include "windrose.portName" . }}
    periodSeconds: 1
    failureThreshold: 30
  {{- end }}
  livenessProbe:
    httpGet:
      path: /healthz
      port: {{ include "windrose.portName" . }}
    periodSeconds: 10
    timeoutSeconds: 2
    failureThreshold: 3
  {{- if ne .Values.mode "sidecar" }}
  readinessProbe:
    httpGet:
      path: /readyz
      port: {{ include "windrose.portName" . }}
    periodSeconds: 5
    timeoutSeconds: 2
    failureThreshold: 2
  {{- end }}
  {{- /* A sidecar gets SIGTERM only after the app has exited: no endpoint to drain. */}}
  {{- if and .Values.preStopSleepSeconds (ne .Values.mode "sidecar") }}
  lifecycle:
    preStop:
      sleep:
        seconds: {{ .Values.preStopSleepSeconds }}
  {{- end }}
  resources:
    {{- toYaml .Values.resources | nindent 4 }}
  securityContext:
    runAsNonRoot: true
    allowPrivilegeEscalation: false
    readOnlyRootFilesystem: true
    capabilities:
      drop: ["ALL"]
  volumeMounts:
    - name: windrose-config
      mountPath: /etc/windrose
      readOnly: true
{{- end -}}
