{{- define "multinet-proxy.name" -}}multinet-proxy{{- end -}}
{{- define "multinet-proxy.image" -}}{{ .Values.image.repository }}:{{ default .Chart.AppVersion .Values.image.tag }}{{- end -}}
{{- define "multinet-proxy.labels" -}}
app.kubernetes.io/name: multinet-proxy
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
