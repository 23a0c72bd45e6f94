"""Which client field each column of an import file holds (C9).

A header names a field by its snake_case name (`fiscal_address`), its flag (`fiscal-address`),
the readable name `export clients` writes (`Fiscal address`) or a Spanish alias (`domicilio
fiscal`); case, accents, spaces and punctuation do not matter.
"""

from ispcube.errors import Invalid
from ispcube.services.clients.fields import FIELDS
from ispcube.services.imports.columns import ColumnMap, header_key, map_header

ALIASES = {
    "codigo": "code", "cod": "code", "codigo_cliente": "code", "cliente": "code", "nro_cliente": "code",
    "nombre": "name", "razon_social": "name", "nombre_y_apellido": "name", "apellido_y_nombre": "name",
    "apodo": "nickname", "alias": "nickname", "nombre_fantasia": "nickname",
    "domicilio_fiscal": "fiscal_address", "direccion_fiscal": "fiscal_address",
    "domicilio": "address", "direccion": "address", "domicilio_servicio": "address",
    "domicilio_de_servicio": "address", "direccion_servicio": "address",
    "service_address": "address",
    "tipo_cliente": "client_type", "tipo_de_cliente": "client_type",
    "tipo_documento": "id_type", "tipo_de_documento": "id_type", "tipo_doc": "id_type",
    "documento": "id_number", "nro_documento": "id_number", "numero_documento": "id_number",
    "numero_de_documento": "id_number", "nro_doc": "id_number",
    "empresa": "company", "empresa_facturacion": "company",
    "entre_calle_1": "street1", "entre_calle1": "street1", "calle1": "street1", "street_1": "street1",
    "entre_calle_2": "street2", "entre_calle2": "street2", "calle2": "street2", "street_2": "street2",
    "codigo_postal": "postal_code", "cod_postal": "postal_code", "cp": "postal_code",
    "zip": "postal_code", "zip_code": "postal_code",
    "latitud": "lat", "latitude": "lat", "longitud": "lng", "longitude": "lng", "lon": "lng",
    "fecha_alta": "signup_date", "fecha_de_alta": "signup_date", "alta": "signup_date",
    "extra_1": "extra1", "extra_2": "extra2",
    "telefono": "phone", "telefonos": "phone", "tel": "phone", "celular": "phone", "phones": "phone",
    "mail": "email", "mails": "email", "e_mail": "email", "e_mails": "email", "emails": "email",
    "correo": "email", "correo_electronico": "email",
    # several phone or e-mail columns join into one field (JOINED)
    "tel_2": "phone", "tel2": "phone", "telefono_2": "phone", "telefono2": "phone", "movil": "phone",
    "telefono_movil": "phone", "telefono_alternativo": "phone", "otro_telefono": "phone", "whatsapp": "phone",
    "phone_2": "phone", "mobile": "phone", "mail_alternativo": "email", "email_alternativo": "email",
    "correo_alternativo": "email", "email_2": "email", "email2": "email", "mail_2": "email", "otro_mail": "email",
    "contacto": "contact",
    "codigo_pago": "epayment_code", "codigo_de_pago": "epayment_code",
    "codigo_pago_electronico": "epayment_code", "pago_electronico": "epayment_code",
    "electronic_payment_code": "epayment_code",
    "estado": "status", "forma_pago": "payment_method", "forma_de_pago": "payment_method",
    "medio_pago": "payment_method", "medio_de_pago": "payment_method",
    "cobrador": "collector", "vendedor": "seller", "nodo": "node",
    "contrato": "contract", "contrato_firmado": "contract", "tipo_contrato": "contract_type",
    "tipo_de_contrato": "contract_type", "vencimiento_contrato": "contract_expiry",
    "vencimiento_del_contrato": "contract_expiry",
    "gratis": "free", "bloquear": "blockable", "bloqueable": "blockable",
    "dias_preaviso": "preaviso_days", "dias_de_preaviso": "preaviso_days",
    "actividad": "activity", "actividad_comercial": "activity",
    "condicion_iva": "vat_condition", "condicion_frente_al_iva": "vat_condition", "iva": "vat_condition",
    "swift": "bic", "bic_swift": "bic", "cuenta_iban": "iban",
    "titular": "account_holder", "titular_cuenta": "account_holder", "titular_de_la_cuenta": "account_holder",
    "mandato": "mandate_ref", "referencia_mandato": "mandate_ref", "referencia_del_mandato": "mandate_ref",
    "mandate_reference": "mandate_ref", "fecha_mandato": "mandate_date", "fecha_firma_mandato": "mandate_date",
    "fecha_del_mandato": "mandate_date",
}
# Columns that `export clients` writes but that an import does not set (computed, or changed
# only through their own commands): skipped, and named in the summary.
READ_ONLY = {"locality", "localidad", "balance", "saldo", "deleted",
             "previous_code", "web_password", "tickets_blocked", "tickets_message", "connections",
             "management_notes"}
# A notes column of another system becomes a management note of its client, by the operator
# importing (NOTES); the notes `export clients --notes` writes are already there, so skipped above.
NOTES = "notes"
NOTE_COLUMNS = {"notes", "notas", "nota", "observaciones", "observacion", "obs", "comentarios", "comentario",
                "comments"}


# U5: the state the old system left the client in (active, throttled, cut; Baja: deleted).
SERVICE = "service"
SERVICE_COLUMNS = {"service", "servicio", "estado_servicio", "estado_del_servicio"}

JOINED = ("phone", "email")     # several columns (Teléfono, Celular, Tel 2) give one ';'-separated field


def field_for(header: str) -> str | None:
    key = header_key(header)
    if key in NOTE_COLUMNS:
        return NOTES
    if key in SERVICE_COLUMNS:
        return SERVICE
    if key in FIELDS:
        return key
    return ALIASES.get(key)


def map_columns(header: list[str], *, update: bool) -> ColumnMap:
    """Map every header to a field; unknown or repeated columns refuse the whole file."""
    columns = map_header(header, field_for, READ_ONLY, "client",
                         "use the names of `client add` flags, e.g. name, fiscal-address, id-number, "
                         "or nombre, domicilio, documento", joined=JOINED)
    seen = columns.present
    if "name" not in seen and not (update and "code" in seen):
        raise Invalid("the file has no name column (nombre): every new client needs a name"
                      + ("" if update else "; to change existing clients by code use --update"))
    return columns
