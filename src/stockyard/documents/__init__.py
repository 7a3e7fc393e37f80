"""Documents: PDFs rendered from plain data (dataclasses), issued with gapless numbers and stored; barcode labels.

For other contexts and pages (issue 5) — the API to link to:

Rendering only (plain data in, PDF bytes out; nothing stored or numbered):
- pdf_invoice.render_invoice_pdf(InvoiceData), pdf_receipt.render_receipt_pdf(ReceiptData)
- pdf_credit_note.render_credit_note_pdf(CreditNoteData)
- pdf_packing.render_packing_slip_pdf(PackingData) / render_delivery_note_pdf(PackingData) (ItemLine lines)
- pdf_pick_list.render_pick_list_pdf(PickListData) (PickLine lines, given in walking order; order_number per line
  for a wave)
- pdf_goods_receipt.render_goods_receipt_pdf(GoodsReceiptData), pdf_purchase_order.render_purchase_order_pdf(...),
  pdf_transfer.render_transfer_pdf(TransferData), pdf_count_sheet.render_count_sheet_pdf(CountSheetData)

Issuing (numbered per tenant and type, stored in the file store, recorded in `documents`):
- services.issue_document(uow, store, doc_type, subject_id, again=False) -> DocumentRef; doc_type is one of
  kinds.DocType (invoice, credit_note, packing_slip, delivery_note, pick_list — subject: order id; credit_note —
  return id; goods_receipt, purchase_order — purchase order id; transfer — transfer id; count_sheet — count id).
- services.documents_for(uow, subject_type, subject_id) (subject types: order, return, purchase_order, transfer,
  count), get_document, document_file(uow, store, id); mailing.mail_document(...) e-mails one with its PDF.
- Pages: POST /erp/documents/issue (form: doc_type, subject_id, again, CSRF) → redirects to the PDF;
  GET /erp/documents/{id}.pdf (re-print: the stored file); GET /erp/documents/for/{subject_type}/{subject_id}
  (the object's documents); POST /erp/documents/{id}/email (e-mails it with the PDF attached, for invoice, credit
  note and delivery note). Print buttons for any page: `{% from "erp/documents/_print.html" import
  print_buttons %}{{ print_buttons("purchase_order", po.id, csrf_token) }}`.
- API: POST /api/v1/documents {doc_type, subject_id, again}, GET /api/v1/documents/for/{subject_type}/{id},
  GET /api/v1/documents/{id}, GET /api/v1/documents/{id}.pdf.

Labels (barcodes.py, labels_layout.py, labels_pdf.py, labels_zpl.py, labels_sources.py):
- LabelItem(value, symbology code128|ean13|qr, title, subtitle, quantity); layouts a4-3x8, a4-3x7, 57x32, 100x150.
- labels_pdf.render_labels_pdf(items, layout, skip=0) -> PDF; labels_zpl.render_labels_zpl(items, layout) -> ZPL.
- labels_sources.make_labels(uow, LabelRequest(what=skus|locations|parcel|values, ...)).
- Page: GET /erp/labels (form), POST /erp/labels/print (the file, PDF or ZPL);
  API: POST /api/v1/labels (JSON LabelRequest) -> PDF or ZPL.
"""
